import type { CcacheReport } from '../../api/inspect';
import { KLIST_FLAG_LETTERS } from '../../krb/wording';
import { EXIT_OK, type Command } from '../command';
import { json, padEnd } from '../format';

function flagLetters(flags: string[]): string {
  return KLIST_FLAG_LETTERS.filter(([name]) => flags.includes(name))
    .map(([, letter]) => letter)
    .join('');
}

/** klist -e -f layout, with ISO-8601 UTC times. */
function render(file: string, report: CcacheReport): string {
  const heading = report.format === 'KRB-CRED' ? `KRB-CRED: ${file} (${report.credentials.length} ticket(s) with their session keys)` : `Ticket cache: FILE:${file} (version ${report.version})`;
  const lines = [heading, `Default principal: ${report.defaultPrincipal || '(not said)'}`, ''];
  lines.push(`${padEnd('Valid starting', 22)}${padEnd('Expires', 22)}Service principal`);
  for (const c of report.credentials) {
    // As klist does, a ticket without starttime shows its authtime there — marked, and said below.
    const start = c.starttime ?? (c.authtime ? `${c.authtime}*` : '-');
    lines.push(`${padEnd(start, 22)}${padEnd(c.endtime ?? '-', 22)}${c.server}`);
    const renew = c.renewTill ? `renew until ${c.renewTill}, ` : '';
    lines.push(`\t${renew}Flags: ${flagLetters(c.flags)} (${c.flags.join(', ') || 'none'})`);
    lines.push(`\tEtype (skey, tkt): ${c.sessionKeyEnctype}, ${c.ticketEnctype ?? `? (${c.ticketError})`}${c.ticketKvno !== null ? `, ticket kvno ${c.ticketKvno}` : ''}`);
    if (c.client !== report.defaultPrincipal) lines.push(`\tClient: ${c.client}`);
  }
  if (report.credentials.length === 0) lines.push('(no tickets)');
  if (report.credentials.some((c) => !c.starttime && c.authtime)) lines.push('', '* no starttime in the ticket: its authtime is shown, as klist does');
  if (report.config.length) {
    lines.push('', 'Config entries:');
    for (const e of report.config) lines.push(`\t${e.key}${e.principal ? ` (${e.principal})` : ''} = ${e.value}`);
  }
  if (report.kdcTimeOffset) lines.push('', `KDC time offset: ${report.kdcTimeOffset.seconds} s`);
  return `${lines.join('\n')}\n`;
}

const showCommand: Command = {
  name: 'show',
  summary: 'list a FILE credential cache (versions 1–4) or a KRB-CRED (.kirbi) like klist -e -f (times in ISO-8601 UTC)',
  usage: ['ccache show FILE [--json]'],
  details:
    'FILE may be a path or FILE:/path (as in KRB5CCNAME). A .kirbi (KRB-CRED) is shown as the cache of its tickets. --json prints { format, version, defaultPrincipal, credentials: [ { client, server, sessionKeyEnctype, sessionKeyEnctypeId, ticketEnctype, ticketEnctypeId, ticketKvno, authtime, starttime, endtime, renewTill, flags, ticket (the Ticket, base64: kbench decode --base64 opens it) } ], config: [ { key, principal?, value } ] }.',
  options: { json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const { values, positionals, io } = input;
    const { name, base64: _bytes, tree: _tree, ...report } = await input.engine().api.ccache.read({ path: positionals[0]! });
    io.stdout(values.json ? json(report) : render(name, report));
    return EXIT_OK;
  },
};

export const ccacheCommand: Command = {
  name: 'ccache',
  summary: 'inspect credential caches (ticket caches)',
  usage: ['ccache show FILE [--json]'],
  subcommands: [showCommand],
};
