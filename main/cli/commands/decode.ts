import type { DecodedMessage, DecodeInput, DecodeReport } from '../../api/inspect';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command } from '../command';
import { json } from '../format';
import { describeSalt } from '../../krb/wording';
import { passwordFrom, str } from '../password-options';
import { KEY_OPTIONS_HELP, keyOptions, keySourcesFrom } from '../key-options';
import { readUserFile } from '../../system/files';
import { formatTree } from '../tree-format';

/** FILE… | --hex H | --base64 B, as the decoder service takes them. */
function decodeInputs(positionals: string[], hex: unknown, base64: unknown, command: Command): DecodeInput[] {
  const given = [positionals.length > 0, hex !== undefined, base64 !== undefined].filter(Boolean).length;
  if (given !== 1) throw new UsageError('give the input as FILE…, --hex or --base64 (one of them)', command);
  if (hex !== undefined) return [{ text: String(hex) }];
  if (base64 !== undefined) return [{ text: String(base64) }];
  return positionals.map((path) => ({ file: { path } }));
}

/** --message TEXT (UTF-8) | --message-hex HEX | --message-file FILE: the bytes a MIC token protects, base64. */
async function micMessageFrom(values: Record<string, unknown>): Promise<string | undefined> {
  const given = ['message', 'message-hex', 'message-file'].filter((k) => values[k] !== undefined);
  if (given.length > 1) throw new UsageError('give the MIC\'s message once: --message, --message-hex or --message-file', decodeCommand);
  if (values.message !== undefined) return Buffer.from(String(values.message), 'utf8').toString('base64');
  if (values['message-hex'] !== undefined) {
    const hex = String(values['message-hex']).replace(/[\s:]/g, '');
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new UsageError('--message-hex is not hex', decodeCommand);
    return Buffer.from(hex, 'hex').toString('base64');
  }
  if (values['message-file'] !== undefined) return (await readUserFile(String(values['message-file']))).toString('base64');
  return undefined;
}

/** A decode report as text: what it is, its field tree, and the keys learned on the way. */
function reportText(report: DecodedMessage): string {
  const learned = report.learnedKeyValues
    ? report.learnedKeyValues.map((k) => `  ${k.source}: ${k.enctype} ${k.key}`)
    : report.learnedKeys.map((k) => `  ${k}`);
  const keys = learned.length ? `\nKeys learned or derived:\n${learned.join('\n')}\n` : '';
  return `${report.kind}, ${report.length} bytes\n${formatTree(report.tree).join('\n')}\n${keys}`;
}

/** The report as --json prints it: the service's, without the input bytes the views need. */
function reportJson({ base64: _bytes, ...report }: DecodedMessage): DecodeReport {
  return report;
}

export const decodeCommand: Command = {
  name: 'decode',
  summary: 'decode (and decrypt) tokens, Kerberos messages, keytabs or ccaches, with byte offsets — several in order as one session',
  usage: [
    'decode (FILE… | --hex H | --base64 B) [--keytab KT]… [--password P [--principal X] [--salt S]] [--key ETYPE:HEX]… [--message TEXT | --message-hex H | --message-file F] [--reveal] [--json]',
  ],
  details: `Recognises GSS-API tokens (framed or bare), SPNEGO (and NTLMSSP inside it, and inside other
security blobs), RFC 4121 Wrap/MIC tokens, every Kerberos message (AS/TGS-REQ/REP, AP-REQ/REP,
KRB-ERROR, KRB-CRED, KRB-SAFE, KRB-PRIV, Ticket; Kerberos over TCP with its record marks; messages
missing their APPLICATION tag), kpasswd requests and replies (RFC 3244), keytabs (damaged ones
too), ccaches (formats 1–4) and .kirbi files. PACs are decoded with their claims and their
signatures checked; S4U2self padata with their checksums. FILE may hold raw bytes or pasted hex/base64 (an
"Authorization: Negotiate …" line works). Several FILEs are decoded in order as one session: every
key learned from an earlier message (session keys, subkeys, FAST armor keys) opens the later ones.
Encrypted parts are decrypted with the keys given, and with keys learned on the way; they appear
under "decrypted" naming the key usage and the key.
${KEY_OPTIONS_HELP}
A MIC token does not carry the message it protects: give it with --message TEXT, --message-hex HEX
or --message-file FILE and the MIC is verified with the keys.
--reveal shows key bytes and passwords (hidden by default), also of the keys learned. --json prints one message as
{ kind, length, tree, learnedKeys, learnedKeyValues? (with --reveal) } and several as { "messages": [ … ] };
tree nodes are { name, type, offset, length, value?, children?, decrypted?: { kind?, keyUsage, keySource, tree }, error?,
sealed?: { key, note } } (sealed: encrypted for a key none given could be — "encrypted for mqtt/localhost@R (kvno 2, …)"; "~" in the text)
(kind "decompressed" for a PAC claims set Windows compressed; offsets inside are in those bytes).`,
  options: {
    ...keyOptions,
    hex: { type: 'string' },
    base64: { type: 'string' },
    json: { type: 'boolean' },
    reveal: { type: 'boolean' },
    message: { type: 'string' },
    'message-hex': { type: 'string' },
    'message-file': { type: 'string' },
  },
  positionals: { min: 0, max: 256 },
  async run(input) {
    const { values, positionals, io } = input;
    const inputs = decodeInputs(positionals, values.hex, values.base64, decodeCommand);
    const keys = keySourcesFrom(input, decodeCommand);
    const reveal = Boolean(values.reveal);
    const micMessage = await micMessageFrom(input.values);
    const api = input.engine().api.decoder;
    if (inputs.length === 1) {
      const report = await api.decode(inputs[0]!, keys, reveal, micMessage === undefined ? undefined : { micMessage });
      io.stdout(values.json ? json(reportJson(report)) : reportText(report));
      return EXIT_OK;
    }
    const { messages } = await api.decodeSession(inputs, keys, reveal);
    if (values.json) io.stdout(json({ messages: messages.map(reportJson) }));
    else messages.forEach((m, i) => io.stdout(`${i ? '\n' : ''}— message ${i + 1} of ${messages.length}: ${positionals[i]} —\n${reportText(m)}`));
    return messages.some((m) => m.kind === 'undecodable') ? EXIT_FAILURE : EXIT_OK;
  },
};

export const explainKeyCommand: Command = {
  name: 'explain-key',
  summary: 'say which keytab entry fits a ticket, and why the others do not',
  usage: ['explain-key (--ticket FILE | --hex H | --base64 B) --keytab KT [--password P | --password-stdin] [--ad-account NAME] [--json]'],
  details: `The ticket may be bare, inside an AP-REQ, a GSS-API or SPNEGO token, a KDC reply or a ccache.
One verdict per keytab entry (principal, kvno, enctype, decrypts?) and a conclusion such as
"The ticket is kvno 3, the keytab has only kvno 2: the keytab is out of date".
With the service's password (--password, --password-stdin or KBENCH_PASSWORD) an AES entry that
does not decrypt gets the salt it was made with — MIT's default, or Active Directory's for the
account (--ad-account: its sAMAccountName, a computer's with "$") — and the salt the KDC used.
Exit code 0 when an entry fits, 1 when none does.`,
  options: {
    ticket: { type: 'string' },
    hex: { type: 'string' },
    base64: { type: 'string' },
    keytab: { type: 'string' },
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    'ad-account': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(input) {
    const { values, io } = input;
    if (!values.keytab) throw new UsageError('--keytab is required', explainKeyCommand);
    const ticket = values.ticket as string | undefined;
    const [source] = decodeInputs(ticket === undefined ? [] : [ticket], values.hex, values.base64, explainKeyCommand);
    const password = await passwordFrom(input);
    const account = str(input, 'ad-account');
    if (account !== undefined && password === undefined) throw new UsageError('--ad-account names the salt of a password: give the password too (--password-stdin)', explainKeyCommand);
    const salts = password === undefined ? undefined : { password, ...(account ? { account } : {}) };
    const explanations = await input.engine().api.decoder.explainKey(source!, { path: values.keytab as string }, salts);
    if (values.json) io.stdout(json(explanations.length === 1 ? explanations[0] : explanations));
    else {
      for (const e of explanations) {
        io.stdout(`Ticket for ${e.ticket.server}, ${e.ticket.enctype}, ${e.ticket.kvno === null ? 'no kvno' : `kvno ${e.ticket.kvno}`}\n`);
        for (const v of e.verdicts) {
          const mark = (b: boolean | null) => (b === null ? '-' : b ? 'yes' : 'no');
          const salt = v.salt ? `, salted ${describeSalt(v.salt)}` : '';
          io.stdout(`  ${v.principal} kvno ${v.kvno} ${v.enctype}: principal ${mark(v.principalMatches)}, kvno ${mark(v.kvnoMatches)}, enctype ${mark(v.enctypeMatches)}, decrypts ${mark(v.decrypts)}${salt}\n`);
        }
        if (e.kdcSalt) io.stdout(`  the KDC's key: ${describeSalt(e.kdcSalt)}\n`);
        io.stdout(`${e.conclusion}\n`);
      }
    }
    return explanations.every((e) => e.ok) ? EXIT_OK : EXIT_FAILURE;
  },
};
