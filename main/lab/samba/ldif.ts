/**
 * The LDIF that ldbsearch prints and ldbmodify reads (RFC 2849), as far as the AD lab needs it:
 * entries with their attributes (a `::` value is base64, continuation lines start with a space),
 * and one modification of one entry written back.
 */

export interface LdifEntry {
  dn: string;
  /** Attribute name (as printed) → values; base64 values decoded to UTF-8 text. */
  attributes: Map<string, string[]>;
}

/** The first value of an attribute, matched case-insensitively. */
export function attribute(entry: LdifEntry, name: string): string | undefined {
  return attributeValues(entry, name)[0];
}

export function attributeValues(entry: LdifEntry, name: string): string[] {
  const wanted = name.toLowerCase();
  for (const [key, values] of entry.attributes) if (key.toLowerCase() === wanted) return values;
  return [];
}

/** Entries of ldbsearch's output; comments, referrals and blank lines between records skipped. */
export function ldifEntries(text: string): LdifEntry[] {
  const entries: LdifEntry[] = [];
  let current: LdifEntry | null = null;
  for (const line of unfold(text)) {
    if (line === '' || line.startsWith('#')) {
      if (line === '' && current) {
        entries.push(current);
        current = null;
      }
      continue;
    }
    const match = /^([A-Za-z0-9;.-]+)(::?)\s?(.*)$/.exec(line);
    if (!match) continue;
    const [, name, colons, raw] = match as unknown as [string, string, string, string];
    const value = colons === '::' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    if (name.toLowerCase() === 'dn') {
      if (current) entries.push(current);
      current = { dn: value, attributes: new Map() };
      continue;
    }
    if (!current) continue; // a referral's "ref:" line
    const values = current.attributes.get(name) ?? [];
    values.push(value);
    current.attributes.set(name, values);
  }
  if (current) entries.push(current);
  return entries;
}

/** Joins RFC 2849 continuation lines (a line starting with one space continues the previous). */
function unfold(text: string): string[] {
  const lines: string[] = [];
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (line.startsWith(' ') && lines.length) lines[lines.length - 1] += line.slice(1);
    else lines.push(line);
  }
  return lines;
}

/** One `changetype: modify` record; every value base64 (`::`), so any byte is safe. */
export function ldifText(dn: string, changes: { op: 'replace' | 'add' | 'delete'; attribute: string; values: (string | Buffer)[] }[]): string {
  const lines = [`dn:: ${Buffer.from(dn, 'utf8').toString('base64')}`, 'changetype: modify'];
  changes.forEach((change, index) => {
    if (index > 0) lines.push('-');
    lines.push(`${change.op}: ${change.attribute}`);
    for (const value of change.values) lines.push(`${change.attribute}:: ${(typeof value === 'string' ? Buffer.from(value, 'utf8') : value).toString('base64')}`);
  });
  return `${lines.join('\n')}\n`;
}
