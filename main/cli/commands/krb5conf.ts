import type { Krb5ConfDocument, Krb5ConfValue } from '../../api/profile';
import { EXIT_OK, type Command } from '../command';
import { json, padEnd } from '../format';
import { invokeService } from '../invoke';

const at = (line: number) => `line ${line}`;

function valueLines(values: Krb5ConfValue[], indent: string): string[] {
  const width = Math.max(0, ...values.map((v) => v.tag.length)) + 1;
  return values.map((v) => `${indent}${padEnd(v.tag, width)}= ${padEnd(v.value, 34)} ${padEnd(at(v.line), 9)}${v.meaning ? ` ${v.meaning}` : ''}`.trimEnd());
}

function realmLines(doc: Krb5ConfDocument): string[] {
  return doc.realms.flatMap((realm) => {
    const list = (label: string, values: Krb5ConfValue[]) => `    ${padEnd(label, 15)}${values.length ? values.map((v) => `${v.value} (${at(v.line)})`).join(', ') : '—'}`;
    return [
      `  ${realm.name} (${at(realm.line)})`,
      list('kdc', realm.kdc),
      list('admin_server', realm.adminServer),
      list('kpasswd_server', realm.kpasswdServer),
      ...(realm.primaryKdc.length ? [list('primary_kdc', realm.primaryKdc)] : []),
      ...valueLines(realm.other, '    '),
    ];
  });
}

/** The parsed file: settings with their lines, realms, mappings, includes, then the problems as FILE:LINE. */
function render(doc: Krb5ConfDocument): string {
  const lines = [`krb5.conf: ${doc.name} (${doc.lineCount} lines)`, ''];
  lines.push('[libdefaults]', ...(doc.libdefaults.length ? valueLines(doc.libdefaults, '  ') : ['  (none)']), '');
  lines.push('Realms:', ...(doc.realms.length ? realmLines(doc) : ['  (none)']), '');
  if (doc.domainRealm.length) lines.push('Domain → realm:', ...doc.domainRealm.map((d) => `  ${padEnd(d.domain, 24)}${padEnd(d.realm, 24)}${at(d.line)}`), '');
  if (doc.includes.length) lines.push('Includes (MIT reads these too):', ...doc.includes.map((i) => `  ${i.kind} ${i.path} (${at(i.line)})`), '');
  const others = doc.sections.filter((s) => !['libdefaults', 'realms', 'domain_realm'].includes(s.name));
  if (others.length) lines.push(`Other sections: ${others.map((s) => `[${s.name}] (${at(s.line)})`).join(', ')}`, '');
  if (doc.problems.length) lines.push('Problems:', ...doc.problems.map((p) => `  ${doc.name}:${p.line}: ${p.severity}: ${p.message}`));
  else lines.push('No problems found.');
  return `${lines.join('\n')}\n`;
}

const showCommand: Command = {
  name: 'show',
  summary: 'parse a krb5.conf (or kdc.conf): libdefaults, realms and their KDCs, domain_realm, includes, problems — each with its line',
  usage: ['krb5conf show FILE [--json]'],
  details:
    'Reads FILE as MIT reads a profile; include/includedir lines are listed, not followed (show each file on\n' +
    'its own). Problems name FILE:LINE: lines MIT cannot parse, sections and [libdefaults] tags it ignores,\n' +
    'realms without a KDC, the Debian sample default realm ATHENA.MIT.EDU.\n' +
    '--json prints { name, text, lineCount, libdefaults: [ { tag, value, line, meaning? } ], realms: [ { name,\n' +
    'line, kdc, adminServer, kpasswdServer, primaryKdc, other } ], domainRealm, includes, sections, problems:\n' +
    '[ { line, severity, message } ] }.',
  options: { json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const doc = await invokeService(input.engine(), 'profile', 'read', { path: input.positionals[0]! });
    input.io.stdout(input.values.json ? json(doc) : render(doc));
    return EXIT_OK;
  },
};

export const krb5confCommand: Command = {
  name: 'krb5conf',
  summary: 'inspect a krb5.conf: settings with their lines, realms, problems',
  usage: ['krb5conf show FILE [--json]'],
  subcommands: [showCommand],
};
