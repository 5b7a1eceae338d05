import { decodeBytes, explainKeys } from '../../inspect/decode';
import { KrbDecodeError } from '../../krb/errors';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command } from '../command';
import { json } from '../format';
import { readInputBytes } from '../input-options';
import { KEY_OPTIONS_HELP, keyOptions, keySpecsFrom, readKeytabEntries } from '../key-options';
import { formatTree } from '../tree-format';

/** Decoder errors become one line naming structure, field and offset; anything else propagates. */
async function oneLine<T>(run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof KrbDecodeError) throw new Error(error.message);
    throw error;
  }
}

export const decodeCommand: Command = {
  name: 'decode',
  summary: 'decode (and decrypt) a token, Kerberos message, keytab or ccache, with byte offsets',
  usage: ['decode (FILE | --hex H | --base64 B) [--keytab KT]… [--password P --principal X [--salt S]] [--key ETYPE:HEX]… [--reveal] [--json]'],
  details: `Recognises GSS-API tokens (framed or bare), SPNEGO (and NTLMSSP inside it), RFC 4121 Wrap/MIC
tokens, every Kerberos message (AS/TGS-REQ/REP, AP-REQ/REP, KRB-ERROR, KRB-CRED, Ticket), keytabs
and ccaches. FILE may hold raw bytes or pasted hex/base64 (an "Authorization: Negotiate …" line works).
Encrypted parts are decrypted with the keys given, and with keys learned on the way (ticket session
key → authenticator subkey …); they appear under "decrypted" naming the key usage and the key.
${KEY_OPTIONS_HELP}
--reveal shows key bytes (hidden by default). --json prints { kind, length, tree, learnedKeys } where
tree nodes are { name, type, offset, length, value?, children?, decrypted?: { keyUsage, keySource, tree }, error? }.`,
  options: { ...keyOptions, hex: { type: 'string' }, base64: { type: 'string' }, json: { type: 'boolean' }, reveal: { type: 'boolean' } },
  positionals: { min: 0, max: 1 },
  async run(input) {
    const { values, positionals, io } = input;
    const bytes = await oneLine(() => readInputBytes(positionals[0], values.hex, values.base64, decodeCommand));
    const keys = await keySpecsFrom(input, decodeCommand);
    const report = await oneLine(() => decodeBytes(bytes, keys, { revealSecrets: Boolean(values.reveal) }));
    if (values.json) io.stdout(json(report));
    else {
      const learned = report.learnedKeys.length ? `\nKeys learned or derived:\n${report.learnedKeys.map((k) => `  ${k}`).join('\n')}\n` : '';
      io.stdout(`${report.kind}, ${report.length} bytes\n${formatTree(report.tree).join('\n')}\n${learned}`);
    }
    return EXIT_OK;
  },
};

export const explainKeyCommand: Command = {
  name: 'explain-key',
  summary: 'say which keytab entry fits a ticket, and why the others do not',
  usage: ['explain-key (--ticket FILE | --hex H | --base64 B) --keytab KT [--json]'],
  details: `The ticket may be bare, inside an AP-REQ, a GSS-API or SPNEGO token, a KDC reply or a ccache.
One verdict per keytab entry (principal, kvno, enctype, decrypts?) and a conclusion such as
"The ticket is kvno 3, the keytab has only kvno 2: the keytab is out of date".
Exit code 0 when an entry fits, 1 when none does.`,
  options: { ticket: { type: 'string' }, hex: { type: 'string' }, base64: { type: 'string' }, keytab: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, io }) {
    if (!values.keytab) throw new UsageError('--keytab is required', explainKeyCommand);
    const bytes = await oneLine(() => readInputBytes(values.ticket as string | undefined, values.hex, values.base64, explainKeyCommand, 'ticket'));
    const { entries } = await readKeytabEntries(values.keytab as string);
    const explanations = await oneLine(() => explainKeys(bytes, entries));
    if (values.json) io.stdout(json(explanations.length === 1 ? explanations[0] : explanations));
    else {
      for (const e of explanations) {
        io.stdout(`Ticket for ${e.ticket.server}, ${e.ticket.enctype}, ${e.ticket.kvno === null ? 'no kvno' : `kvno ${e.ticket.kvno}`}\n`);
        for (const v of e.verdicts) {
          const mark = (b: boolean | null) => (b === null ? '-' : b ? 'yes' : 'no');
          io.stdout(`  ${v.principal} kvno ${v.kvno} ${v.enctype}: principal ${mark(v.principalMatches)}, kvno ${mark(v.kvnoMatches)}, enctype ${mark(v.enctypeMatches)}, decrypts ${mark(v.decrypts)}\n`);
        }
        io.stdout(`${e.conclusion}\n`);
      }
    }
    return explanations.every((e) => e.ok) ? EXIT_OK : EXIT_FAILURE;
  },
};
