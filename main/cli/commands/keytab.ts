/**
 * `kbench keytab …`: a thin adapter over the Keytab service (the Keytab view's): it parses argv,
 * calls the service through the engine and prints; reading, changing and writing keytabs is the
 * service's.
 */
import { stat } from 'node:fs/promises';
import type { KeytabEntryView, KeytabSaltFound, KeytabSaltType } from '../../api/inspect';
import { BenchFailure } from '../../engine/failure';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command, type CommandInput } from '../command';
import { invokeService } from '../invoke';
import { passwordFrom, str } from '../password-options';
import { json, padEnd } from '../format';
import { kerberosFilePath } from '../../system/files';

const DEFAULT_ENCTYPES = 'aes256-cts-hmac-sha1-96,aes128-cts-hmac-sha1-96';
/** ktpass -crypto ALL on a modern account: AES256, AES128 and RC4. */
const KTPASS_ENCTYPES = `${DEFAULT_ENCTYPES},arcfour-hmac`;

const PASSWORD_HELP = `Passwords: --password P puts the password in the process list, where other users can read it.
Prefer the environment variable KBENCH_PASSWORD, or --password-stdin (reads stdin to its end; one
trailing newline is dropped):  printf %s "$PW" | kbench keytab check svc.keytab --password-stdin`;

// ---- options ---------------------------------------------------------------------------------

function parseKvno(text: string | undefined, fallback?: number): number | undefined {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new UsageError(`--kvno must be a number from 0 to 4294967295, not "${text}"`);
  return Number(text);
}

/** The principal as given: the Keytab service parses it (and says what is wrong with it). */
function principalOption(input: CommandInput): string {
  const text = str(input, 'principal');
  if (!text) throw new UsageError('--principal is required');
  return text;
}

const hasRealm = (text: string) => /(^|[^\\])@/.test(text);

/**
 * A keytab the user names, as given (the service reads it): a MEMORY: or KEYRING: one is not a
 * file, and saying so is a usage error (kerberosFilePath throws NotAFileError, exit 2).
 */
function keytabName(name: string): string {
  kerberosFilePath(name, 'keytab');
  return name;
}

/** A service failure about an option's value (`details.field`, e.g. an unknown enctype) is a usage error, exit 2. */
async function optionsChecked<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof BenchFailure && typeof (error.details as { field?: unknown } | undefined)?.field === 'string') throw new UsageError(error.message);
    throw error;
  }
}

// ---- output ----------------------------------------------------------------------------------

/** Local time as klist shows it, but unambiguous: 2026-01-02 03:04:05. */
function localTime(iso: string): string {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** klist -kte's columns; a superseded key (an older kvno of the same principal) says so at the end of its row. */
function entryTable(entries: readonly KeytabEntryView[], keys: boolean): string {
  const width = Math.max(9, ...entries.map((e) => e.principal.length)) + 2;
  const header = `KVNO Timestamp           ${padEnd('Principal', width)}Enctype${keys ? '                       Key' : ''}`;
  const rule = `---- ------------------- ${'-'.repeat(width - 2)}  ${'-'.repeat(28)}${keys ? ' ---' : ''}`;
  const rows = entries.map((e) => {
    const row = `${String(e.kvno).padStart(4)} ${localTime(e.timestamp)} ${padEnd(e.principal, width)}${e.enctype}`;
    const withKey = keys ? `${padEnd(row, 25 + width + 30)}0x${e.key}` : row;
    return e.superseded ? `${padEnd(withKey, 25 + width + 29)} (${e.superseded.note})` : withKey;
  });
  return [header, rule, ...rows].join('\n');
}

const entriesText = (n: number) => `${n} ${n === 1 ? 'entry' : 'entries'}`;

// ---- subcommands -----------------------------------------------------------------------------

const showCommand: Command = {
  name: 'show',
  summary: 'list a keytab like klist -kte (keys only with --keys, like -K)',
  usage: ['keytab show FILE [--keys] [--json]'],
  details:
    'Times are local in the table and ISO-8601 UTC in JSON. --json prints\n' +
    '{ "version": 1282, "entries": [ { "principal", "kvno", "timestamp", "enctype", "enctypeId", "key" (only with --keys),\n' +
    '"superseded" (only on an older kvno than the newest of the same principal: { "newestKvno", "note" }) } ] }.\n' +
    'Such rows end with "(old kvno 2 < 3: kept for tickets issued before the key change)".\n' +
    'Version 1281 is 0x0501, 1282 is 0x0502. A malformed keytab exits 1 naming the field and byte offset;\n' +
    'a damaged one lists the entries that can be read, says where and how the damage starts ("damage" in\n' +
    'JSON: { offset, message }) and exits 1.',
  options: { keys: { type: 'boolean' }, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const { values, positionals, io } = input;
    const keys = values.keys === true;
    const doc = await invokeService(input.engine(), 'keytab', 'read', { path: keytabName(positionals[0]!) }, keys);
    const status = doc.damage ? EXIT_FAILURE : EXIT_OK;
    if (values.json) {
      io.stdout(json({ version: doc.version, entries: doc.entries, ...(doc.damage ? { damage: doc.damage } : {}) }));
      return status;
    }
    const version = `0x0${doc.version.toString(16)}`;
    io.stdout(`Keytab: ${doc.name} (version ${version}, ${entriesText(doc.entries.length)})\n`);
    if (doc.entries.length) io.stdout(`${entryTable(doc.entries, keys)}\n`);
    if (!keys && doc.entries.length) io.stdout('(keys hidden: --keys shows them)\n');
    if (doc.damage) io.stderr(`kbench: ${doc.name} is damaged (byte ${doc.damage.offset}): ${doc.damage.message}\n`);
    return status;
  },
};

/** --salt S, or --ad-account NAME [--computer]: the salt choice the Keytab service takes. */
function saltOptions(input: CommandInput): { salt?: string; saltType?: KeytabSaltType; account?: string } {
  const salt = str(input, 'salt');
  const account = str(input, 'ad-account');
  if (salt !== undefined && account !== undefined) throw new UsageError('give --salt or --ad-account, not both');
  if (input.values.computer && account === undefined) throw new UsageError('--computer goes with --ad-account NAME (the computer\'s name)');
  if (account !== undefined) return { saltType: input.values.computer ? 'ad-computer' : 'ad-user', account };
  return salt !== undefined ? { salt } : {};
}

const SALT_HELP = `Salts: MIT's default is the realm followed by the name components. Active Directory salts a user or
service account's keys with REALM + sAMAccountName (--ad-account svc-mqtt: "AD.TESTsvc-mqtt", whatever
SPN the key is for) and a computer's with REALM + "host" + name + "." + realm (--ad-account ws1 --computer:
"AD.TESThostws1.ad.test"). A user whose userPrincipalName differs from its sAMAccountName is salted
with the UPN's name part (Samba 4.17): give the UPN as the account. RC4 keys take no salt.`;

/** "salt "AD.TESTsvc-mqtt" (AD account svc-mqtt)" for a check row. */
function saltText(salt: KeytabSaltFound): string {
  const kind = salt.kind === 'mit' ? 'MIT default' : salt.kind === 'ad-user' ? `AD account ${salt.account}` : salt.kind === 'ad-computer' ? `AD computer ${salt.account}` : 'given';
  return `salt "${salt.used}" (${kind})`;
}

const checkCommand: Command = {
  name: 'check',
  summary: 'check a password against every key in a keytab, and name the salt its keys were made with',
  usage: ['keytab check FILE (--password P | --password-stdin) [--salt S | --ad-account NAME [--computer]] [--json]'],
  details:
    'Derives each entry\'s key from the password and compares. With --salt, only that salt is tried;\n' +
    'otherwise the MIT default (or the AD salt --ad-account names) first, then the other salts the\n' +
    'principal can have (AD: a user\'s name, host/NAME\'s computer, the account given), and a match\n' +
    'names the salt. Exit code 0 when at least one entry matches, 1 otherwise. --json prints\n' +
    '{ "entries": [ { "principal", "kvno", "enctype", "enctypeId", "match", "salt"?: { "used", "kind", "account"? }, "note"? } ] };\n' +
    'an enctype kbench cannot derive has "match": false and a "note".\n\n' +
    SALT_HELP +
    '\n\n' +
    PASSWORD_HELP,
  options: {
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    salt: { type: 'string' },
    'ad-account': { type: 'string' },
    computer: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const salt = saltOptions(input);
    const password = await passwordFrom(input);
    if (password === undefined) throw new UsageError('needs a password: --password P, --password-stdin or KBENCH_PASSWORD');
    const engine = input.engine();
    const source = { path: keytabName(input.positionals[0]!) };
    const choice = salt.salt ?? (salt.saltType && salt.account ? { saltType: salt.saltType, account: salt.account } : undefined);
    // No salt → no third argument (undefined would travel as null to an adapter).
    const report = choice === undefined ? await invokeService(engine, 'keytab', 'check', source, password) : await invokeService(engine, 'keytab', 'check', source, password, choice);
    const results = report.entries;
    const matches = results.filter((r) => r.match).length;
    if (input.values.json) {
      input.io.stdout(json({ entries: results }));
    } else {
      for (const r of results) {
        const notes = [r.salt && r.salt.kind !== 'given' ? saltText(r.salt) : undefined, r.note].filter(Boolean).join('; ');
        input.io.stdout(`${padEnd(r.match ? 'match' : r.note ? 'n/a' : 'differs', 8)}${String(r.kvno).padStart(4)} ${r.principal} ${r.enctype}${notes ? `  (${notes})` : ''}\n`);
      }
      input.io.stdout(matches ? `the password matches ${matches} of ${entriesText(results.length)}\n` : `the password matches none of the ${entriesText(results.length)}\n`);
    }
    return matches > 0 ? EXIT_OK : EXIT_FAILURE;
  },
};

/** Does the keytab file exist (a missing one is created by keytab add)? */
async function keytabExists(name: string): Promise<boolean> {
  try {
    await stat(kerberosFilePath(name, 'keytab'));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

const addCommand: Command = {
  name: 'add',
  summary: 'add keys for a principal (from a password or random) to a keytab, as ktutil or ktpass would',
  usage: [
    'keytab add FILE --principal P (--password P | --password-stdin | --random) [--enctypes E1,E2] [--kvno N] [--salt S] [--json]',
    'keytab add FILE --principal P (--password P | --password-stdin) --ad-account NAME [--computer] [--enctypes …] [--kvno N] [--json]',
  ],
  details:
    'Creates FILE (mode 0600) when missing. The principal needs its realm (svc/host@REALM).\n' +
    `Defaults: --enctypes ${DEFAULT_ENCTYPES} --kvno 1; the salt is the realm\n` +
    'followed by the name components (MIT "normal"). With --ad-account the keys are what ktpass makes for\n' +
    `that AD account: its salt, and --enctypes ${KTPASS_ENCTYPES} unless given (the kvno must\n` +
    'be the account\'s msDS-KeyVersionNumber for tickets to find it). An entry with the same principal,\n' +
    'kvno and enctype is replaced. The file is written to a temporary file and renamed into place.\n\n' +
    SALT_HELP +
    '\n\n' +
    PASSWORD_HELP,
  options: {
    principal: { type: 'string' },
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    random: { type: 'boolean' },
    enctypes: { type: 'string' },
    kvno: { type: 'string' },
    salt: { type: 'string' },
    'ad-account': { type: 'string' },
    computer: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const { values, positionals, io } = input;
    const principalText = principalOption(input);
    if (!hasRealm(principalText)) throw new UsageError('--principal needs a realm: svc/host@REALM');
    const kvno = parseKvno(str(input, 'kvno'), 1)!;
    const salt = saltOptions(input);
    const enctypeList = str(input, 'enctypes') ?? (salt.saltType ? KTPASS_ENCTYPES : DEFAULT_ENCTYPES);
    const enctypes = enctypeList.split(',').map((e) => e.trim()).filter(Boolean);
    if (!enctypes.length) throw new UsageError('--enctypes is empty');
    const explicitPassword = str(input, 'password') !== undefined || values['password-stdin'] === true;
    if (values.random && explicitPassword) throw new UsageError('give --random or a password, not both');
    if (values.random && Object.keys(salt).length) throw new UsageError('--salt and --ad-account only apply to password-derived keys');
    const password = values.random ? undefined : await passwordFrom(input);
    if (!values.random && password === undefined) throw new UsageError('needs --password P, --password-stdin, KBENCH_PASSWORD or --random');

    // The Keytab service builds the entries (the same code as the Keytab view) and writes them.
    const file = positionals[0]!;
    const engine = input.engine();
    const source = (await keytabExists(file)) ? { path: file } : null;
    const doc = await optionsChecked(invokeService(engine, 'keytab', 'add', source, { principal: principalText, kvno, enctypes, ...(password !== undefined ? { password } : {}), ...salt }, false));
    await invokeService(engine, 'keytab', 'save', file, doc.base64);
    const added = doc.entries.slice(-enctypes.length).map(({ principal: p, kvno: k, timestamp, enctype, enctypeId }) => ({ principal: p, kvno: k, timestamp, enctype, enctypeId }));
    const shown = kerberosFilePath(file, 'keytab');
    if (values.json) io.stdout(json({ file: shown, added, replaced: doc.replaced }));
    else {
      const what = added.map((e) => e.enctype).join(', ');
      const saltNote = salt.saltType ? `, AD salt of ${salt.saltType === 'ad-computer' ? 'computer' : 'account'} ${salt.account}` : '';
      io.stdout(`added ${entriesText(added.length)} for ${added[0]!.principal} kvno ${kvno} (${what}${saltNote}) to ${shown}${doc.replaced ? `, replacing ${doc.replaced}` : ''}\n`);
    }
    return EXIT_OK;
  },
};

const removeCommand: Command = {
  name: 'remove',
  summary: 'remove a principal\'s entries from a keytab',
  usage: ['keytab remove FILE --principal P [--kvno N] [--enctype E] [--json]'],
  details:
    'Removes every entry of the principal, narrowed by --kvno and --enctype. Without a realm (svc/host)\n' +
    'the principal matches in any realm. Exit code 1 (file unchanged) when nothing matches. The rest is\n' +
    'written back as version 0x0502 (holes left by other tools disappear).',
  options: { principal: { type: 'string' }, kvno: { type: 'string' }, enctype: { type: 'string' }, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const { values, positionals, io } = input;
    const principal = principalOption(input);
    const kvno = parseKvno(str(input, 'kvno'));
    const enctype = str(input, 'enctype');
    // A selector that matches nothing fails in the service ("no entry of FILE matches …"): exit 1, file unchanged.
    const engine = input.engine();
    const doc = await optionsChecked(invokeService(engine, 'keytab', 'remove', { path: keytabName(positionals[0]!) }, { principal, ...(kvno !== undefined ? { kvno } : {}), ...(enctype !== undefined ? { enctype } : {}) }, false));
    await invokeService(engine, 'keytab', 'save', positionals[0]!, doc.base64);
    const file = kerberosFilePath(positionals[0]!, 'keytab');
    if (values.json) io.stdout(json({ file, removed: doc.removed, remaining: doc.entries.length }));
    else io.stdout(`removed ${entriesText(doc.removed.length)} from ${file}; ${doc.entries.length} remain\n`);
    return EXIT_OK;
  },
};

const mergeCommand: Command = {
  name: 'merge',
  summary: 'merge keytabs into one (later files win)',
  usage: ['keytab merge OUT IN1 [IN2 …] [--force] [--json]'],
  details:
    'Writes OUT (replacing it) with every entry of the inputs, in order. An entry with the same principal,\n' +
    'kvno and enctype as an earlier one replaces it. To merge into an existing OUT, list it as an input too:\n' +
    'kbench keytab merge all.keytab all.keytab new.keytab. All inputs are read before OUT is written.\n' +
    'OUT is written 0600. An existing OUT that is not a keytab is not replaced unless --force.',
  options: { json: { type: 'boolean' }, force: { type: 'boolean' } },
  positionals: { min: 2, max: Number.MAX_SAFE_INTEGER },
  async run(input) {
    const { values, positionals, io } = input;
    const [out, ...inputs] = positionals as [string, ...string[]];
    const engine = input.engine();
    // All inputs are read (by the service) before OUT is written.
    const merged = await invokeService(engine, 'keytab', 'merge', inputs.map((name) => ({ path: keytabName(name) })), false);
    const { path: file } = await invokeService(engine, 'keytab', 'save', keytabName(out), merged.base64, { replace: values.force === true });
    const count = merged.entries.length;
    if (values.json) io.stdout(json({ file, entries: count, replaced: merged.replaced }));
    else io.stdout(`wrote ${entriesText(count)} to ${file} from ${inputs.length} keytab(s)${merged.replaced ? `; ${merged.replaced} replaced by later files` : ''}\n`);
    return EXIT_OK;
  },
};

export const keytabCommand: Command = {
  name: 'keytab',
  summary: 'show, check, add to, remove from and merge keytabs',
  usage: ['keytab show|check|add|remove|merge …'],
  details: PASSWORD_HELP,
  subcommands: [showCommand, checkCommand, addCommand, removeCommand, mergeCommand],
};
