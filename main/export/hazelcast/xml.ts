/**
 * hazelcast.xml: the <security> section written from a HazelcastSecurity, and any hazelcast.xml
 * (or a bare <security> fragment) read into the ConfigNode tree with each element's line.
 *
 * fast-xml-parser gives no positions, so lines come from the text itself: elements arrive in
 * document order, and each one's start tag is the next "<name" (any namespace prefix) after the
 * previous element's, once comments, CDATA and processing instructions are blanked out.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { HazelcastLoginModule, HazelcastRealm, HazelcastSecurity } from '../../api/hazelcast';
import { AUTHENTICATION_FIELDS, IDENTITY_FIELDS, setFields, type ConfigNode } from './schema';

const SCHEMA = 'http://www.hazelcast.com/schema/config';
const SCHEMA_VERSION = '5.3';

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function pad(depth: number): string {
  return '    '.repeat(depth);
}

function kerberosLines(fields: Array<{ element: string; value: string }>, depth: number): string[] {
  return [`${pad(depth)}<kerberos>`, ...fields.map((f) => `${pad(depth + 1)}<${f.element}>${escapeXml(f.value)}</${f.element}>`), `${pad(depth)}</kerberos>`];
}

function jaasLines(modules: HazelcastLoginModule[], depth: number): string[] {
  const lines = [`${pad(depth)}<jaas>`];
  for (const m of modules) {
    lines.push(`${pad(depth + 1)}<login-module class-name="${escapeXml(m.className)}" usage="${escapeXml(m.usage)}">`, `${pad(depth + 2)}<properties>`);
    for (const [name, value] of Object.entries(m.properties)) lines.push(`${pad(depth + 3)}<property name="${escapeXml(name)}">${escapeXml(value)}</property>`);
    lines.push(`${pad(depth + 2)}</properties>`, `${pad(depth + 1)}</login-module>`);
  }
  lines.push(`${pad(depth)}</jaas>`);
  return lines;
}

function realmLines(realm: HazelcastRealm, depth: number): string[] {
  const lines = [`${pad(depth)}<realm name="${escapeXml(realm.name)}">`];
  const auth = setFields(realm.authentication, AUTHENTICATION_FIELDS);
  if (realm.authentication || realm.jaas?.length) {
    lines.push(`${pad(depth + 1)}<authentication>`);
    // A realm has one authentication method: kerberos, else jaas.
    if (realm.authentication) lines.push(...kerberosLines(auth, depth + 2));
    else lines.push(...jaasLines(realm.jaas ?? [], depth + 2));
    lines.push(`${pad(depth + 1)}</authentication>`);
  }
  if (realm.identity) lines.push(`${pad(depth + 1)}<identity>`, ...kerberosLines(setFields(realm.identity, IDENTITY_FIELDS), depth + 2), `${pad(depth + 1)}</identity>`);
  lines.push(`${pad(depth)}</realm>`);
  return lines;
}

/** The security element alone, indented for `depth`. */
export function securityXml(security: HazelcastSecurity, depth = 1): string[] {
  const lines = [`${pad(depth)}<security enabled="${security.enabled}">`, `${pad(depth + 1)}<realms>`];
  for (const realm of security.realms) lines.push(...realmLines(realm, depth + 2));
  lines.push(`${pad(depth + 1)}</realms>`);
  if (security.memberAuthentication !== undefined) lines.push(`${pad(depth + 1)}<member-authentication realm="${escapeXml(security.memberAuthentication)}"/>`);
  if (security.clientAuthentication !== undefined) lines.push(`${pad(depth + 1)}<client-authentication realm="${escapeXml(security.clientAuthentication)}"/>`);
  lines.push(`${pad(depth)}</security>`);
  return lines;
}

/** A whole hazelcast.xml holding only the security section; `comment` lines go on top. */
export function hazelcastXml(security: HazelcastSecurity, comment: string[]): string {
  const head = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    ...(comment.length ? ['<!--', ...comment.map((c) => `  ${c.replace(/--/g, '- -')}`), '-->'] : []),
    `<hazelcast xmlns="${SCHEMA}"`,
    '           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
    `           xsi:schemaLocation="${SCHEMA} ${SCHEMA}/hazelcast-config-${SCHEMA_VERSION}.xsd">`,
  ];
  return `${[...head, ...securityXml(security), '</hazelcast>'].join('\n')}\n`;
}

// ---- reading ------------------------------------------------------------------------------------

export type XmlRead = { root: ConfigNode } | { error: { line: number; message: string } };

/** Blanks comments, CDATA, PIs and declarations (newlines kept), so only real start tags remain. */
function maskMarkup(text: string): string {
  const blank = (m: string) => m.replace(/[^\n]/g, ' ');
  return text.replace(/<!--[\s\S]*?-->/g, blank).replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, blank).replace(/<\?[\s\S]*?\?>/g, blank).replace(/<![^>]*>/g, blank);
}

class TagLocator {
  private cursor = 0;
  private readonly lineStarts: number[] = [0];

  constructor(private readonly masked: string) {
    for (let i = 0; i < masked.length; i++) if (masked[i] === '\n') this.lineStarts.push(i + 1);
  }

  /** The line of the next start tag `name` after the previous one found. */
  next(name: string): number {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const pattern = new RegExp(`<(?:[\\w.-]+:)?${escaped}(?=[\\s/>])`, 'g');
    pattern.lastIndex = this.cursor;
    const match = pattern.exec(this.masked);
    if (!match) return this.lineOf(this.cursor);
    this.cursor = match.index + 1;
    return this.lineOf(match.index);
  }

  private lineOf(offset: number): number {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  }
}

type Ordered = Record<string, unknown>;

function toNode(entry: Ordered, locator: TagLocator): ConfigNode | null {
  const name = Object.keys(entry).find((k) => k !== ':@');
  if (!name || name.startsWith('#') || name.startsWith('?')) return null;
  const line = locator.next(name);
  const attrs: Record<string, string> = {};
  for (const [key, value] of Object.entries((entry[':@'] as Record<string, unknown> | undefined) ?? {})) attrs[key.replace(/^@_/, '')] = String(value);
  const node: ConfigNode = { name, line, attrs, children: [] };
  const texts: string[] = [];
  for (const item of (entry[name] as Ordered[] | undefined) ?? []) {
    if ('#text' in item) texts.push(String(item['#text']));
    else {
      const childNode = toNode(item, locator);
      if (childNode) node.children.push(childNode);
    }
  }
  if (texts.length) node.value = texts.join('').trim();
  return node;
}

/**
 * The line of the first processing instruction (`<?xml … encoding=UTF-8"?>`) that leaves a quote
 * open. fast-xml-parser 5.12 reads quotes inside a PI, so such a PI never ends for its parser
 * ("Pi Tag is not closed."), while its validator lets it through.
 */
function openQuoteInstructionLine(text: string): number | undefined {
  for (const match of text.matchAll(/<\?[\s\S]*?\?>/g)) {
    let quote: string | undefined;
    for (const char of match[0]) {
      if (quote === undefined && (char === '"' || char === "'")) quote = char;
      else if (char === quote) quote = undefined;
    }
    if (quote !== undefined) return text.slice(0, match.index).split('\n').length;
  }
  return undefined;
}

/** Well-formedness first (XMLValidator's line), then the element tree with lines. */
export function readXml(text: string): XmlRead {
  const valid = XMLValidator.validate(text);
  if (valid !== true) return { error: { line: valid.err.line, message: `${valid.err.code}: ${valid.err.msg}` } };
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    removeNSPrefix: true,
    parseTagValue: false,
    parseAttributeValue: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    trimValues: true,
  });
  let entries: Ordered[];
  try {
    entries = parser.parse(text) as Ordered[];
  } catch (error) {
    // The validator passed it, the parser did not: say where if we can tell, never throw.
    const line = openQuoteInstructionLine(text);
    const why = line !== undefined ? 'InvalidPi: a quote inside this processing instruction is not closed' : 'the XML parser refused it';
    return { error: { line: line ?? 1, message: `${why} (fast-xml-parser: ${(error as Error).message})` } };
  }
  const locator = new TagLocator(maskMarkup(text));
  for (const entry of entries) {
    const node = toNode(entry, locator);
    if (node) return { root: node };
  }
  return { error: { line: 1, message: 'no root element' } };
}
