/**
 * The AD side of `kbench lab`: accounts (user, service, computer) and their SPNs in an AD lab realm
 * (a Samba AD DC), and what `lab status` adds for one (the domain, the accounts table). Every
 * command goes through the lab service (engine dispatch, the same zod schemas as the UI); none runs
 * samba-tool itself. They act on the AD lab realm (AD.TEST) unless --realm names another.
 */
import type { LabAccount, LabDirectory, LabEnctypeChoice, LabAccountKind, LabStatus } from '../../api/lab';
import { invokeService } from '../invoke';
import { EXIT_OK, UsageError, type Command, type CommandInput } from '../command';
import { json, padEnd } from '../format';
import { passwordFrom, str } from '../password-options';
import { COMMON, kindOf, labTarget, PASSWORD_HELP } from './lab-options';

const AD_HELP =
  'Acts on the AD lab realm (AD.TEST; --realm R for another AD realm): bring it up first with\n' +
  'kbench lab up --kind ad (root: Samba\'s DC binds LDAP on 127.0.0.1:389, so one AD lab runs at a time).';

const ENCTYPE_CHOICES: readonly LabEnctypeChoice[] = ['rc4', 'aes', 'both', 'unset'];
const ACCOUNT_TYPES: readonly LabAccountKind[] = ['user', 'service', 'computer'];

const ENCTYPES_HELP =
  '--enctypes sets msDS-SupportedEncryptionTypes: rc4 (4), aes (24: AES128 + AES256), both (28), unset (no\n' +
  'attribute: AD\'s default, RC4 service tickets). The lab\'s service keytab follows the account\'s enctypes.';

// ---- options ---------------------------------------------------------------------------------

/** The AD realm a command acts on: --kind mit is refused (accounts and SPNs are AD's). */
function adTarget(input: CommandInput) {
  if (kindOf(input) === 'mit') throw new UsageError('accounts and SPNs belong to AD lab realms: leave out --kind mit (or give --kind ad)');
  return labTarget(input, 'ad');
}

function choice<T extends string>(input: CommandInput, name: string, allowed: readonly T[]): T | undefined {
  const value = str(input, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} must be ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}

/** --on / --no-on → true / false / undefined (both refused). */
function toggle(input: CommandInput, on: string, off: string): boolean | undefined {
  if (input.values[on] && input.values[off]) throw new UsageError(`give --${on} or --${off}, not both`);
  return input.values[on] ? true : input.values[off] ? false : undefined;
}

// ---- output ----------------------------------------------------------------------------------

/** sAMAccountName matches case-insensitively; a computer may be named without its "$". */
function findAccount(status: LabStatus, name: string): LabAccount | undefined {
  const wanted = name.toLowerCase();
  return status.ad?.accounts.find((a) => a.name.toLowerCase() === wanted || a.name.toLowerCase() === `${wanted}$`);
}

function requireAccount(status: LabStatus, name: string): LabAccount {
  const account = findAccount(status, name);
  if (!account) throw new UsageError(`no account ${name} in AD lab realm ${status.realm} (kbench lab account list shows them)`);
  return account;
}

function accountFlags(a: LabAccount): string {
  return [a.enabled ? 'enabled' : 'disabled', ...(a.expired ? ['expired'] : []), ...(a.mustChangePassword ? ['must-change'] : []), a.requiresPreauth ? '+preauth' : '-preauth'].join(' ');
}

/** One row per account: name, kind, kvno, enctypes, state, salt, SPNs. */
export function accountTable(accounts: readonly LabAccount[]): string {
  const width = Math.max(7, ...accounts.map((a) => a.name.length)) + 2;
  const flagsWidth = Math.max(5, ...accounts.map((a) => accountFlags(a).length)) + 2;
  const saltWidth = Math.max(4, ...accounts.map((a) => a.salt.length)) + 2;
  const header = `${padEnd('Account', width)}${padEnd('Kind', 10)}KVNO  ${padEnd('Enctypes', 10)}${padEnd('State', flagsWidth)}${padEnd('Salt', saltWidth)}SPNs`;
  const rows = accounts.map(
    (a) => `${padEnd(a.name, width)}${padEnd(a.kind, 10)}${String(a.kvno).padStart(4)}  ${padEnd(a.enctypes, 10)}${padEnd(accountFlags(a), flagsWidth)}${padEnd(a.salt, saltWidth)}${a.spns.join(', ') || '-'}`,
  );
  return [header, ...rows].join('\n');
}

/** What `lab status` shows of an AD realm's domain, below the realm's own lines. */
export function domainLines(ad: LabDirectory): string[] {
  return [`  domain           ${ad.netbios} (${ad.baseDn})`, `  LDAP             ${ad.ldap}`, `  kpasswd          ${ad.kpasswd}`];
}

function accountLine(a: LabAccount): string {
  return `${a.name} (${a.kind}, kvno ${a.kvno}, enctypes ${a.enctypes}, ${accountFlags(a)}${a.spns.length ? `, SPNs ${a.spns.join(' ')}` : ''})`;
}

function printAccount(input: CommandInput, status: LabStatus, name: string, verb: string): number {
  const account = requireAccount(status, name);
  input.io.stdout(input.values.json ? json(account) : `${verb ? `${verb} ` : ''}${accountLine(account)}\n`);
  return EXIT_OK;
}

// ---- lab account -----------------------------------------------------------------------------

const accountAdd: Command = {
  name: 'add',
  summary: 'a user, service or computer account (service: its SPNs, keys in the service keytab)',
  usage: ['lab account add NAME [--type user|service|computer] [--password P | --password-stdin] [--spn S …] [--enctypes rc4|aes|both|unset] [--realm R] [--json]'],
  details:
    'NAME is the sAMAccountName (at most 20 characters; a computer\'s gets a "$": ws1 → ws1$). --type defaults\n' +
    'to service with --spn, else user. Without a password the lab sets a random one it keeps (kbench lab\n' +
    'password NAME --show --kind ad prints it). A service account\'s SPNs go to the realm\'s service keytab.\n' +
    `${ENCTYPES_HELP}\n--json prints the account: { "name", "kind", "dn", "principal", "spns", "kvno", "enctypes", "salt", … }.\n` +
    `${PASSWORD_HELP}\n\n${AD_HELP}`,
  options: { ...COMMON, type: { type: 'string' }, password: { type: 'string' }, 'password-stdin': { type: 'boolean' }, spn: { type: 'string', multiple: true }, enctypes: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const name = input.positionals[0]!;
    const type = choice(input, 'type', ACCOUNT_TYPES);
    const enctypes = choice(input, 'enctypes', ENCTYPE_CHOICES);
    const spns = (input.values.spn as string[] | undefined) ?? [];
    const password = await passwordFrom(input);
    const status = await invokeService(input.engine(), 'lab', 'addAccount', {
      ...adTarget(input),
      name,
      ...(type ? { type } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(spns.length ? { spns } : {}),
      ...(enctypes ? { enctypes } : {}),
    });
    return printAccount(input, status, name, 'added');
  },
};

const accountSet: Command = {
  name: 'set',
  summary: 'enable/disable, expire, must-change, pre-authentication, enctypes',
  usage: ['lab account set NAME [--enable | --disable] [--expire | --no-expire] [--must-change | --no-must-change] [--preauth | --no-preauth] [--enctypes rc4|aes|both|unset] [--realm R] [--json]'],
  details:
    'AD\'s words: --disable sets ACCOUNTDISABLE, --expire sets accountExpires to an hour ago (kinit: "Client\'s\n' +
    'credentials have been revoked"), --must-change sets pwdLastSet = 0 ("Password expired.  You must change it\n' +
    'now."), --no-preauth sets DONT_REQ_PREAUTH (AS-REP roastable). Without a flag: prints the account.\n' +
    `${ENCTYPES_HELP}\n\n${AD_HELP}`,
  options: {
    ...COMMON,
    enable: { type: 'boolean' },
    disable: { type: 'boolean' },
    expire: { type: 'boolean' },
    'no-expire': { type: 'boolean' },
    'must-change': { type: 'boolean' },
    'no-must-change': { type: 'boolean' },
    preauth: { type: 'boolean' },
    'no-preauth': { type: 'boolean' },
    enctypes: { type: 'string' },
  },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const name = input.positionals[0]!;
    const change = {
      enabled: toggle(input, 'enable', 'disable'),
      expired: toggle(input, 'expire', 'no-expire'),
      mustChangePassword: toggle(input, 'must-change', 'no-must-change'),
      requiresPreauth: toggle(input, 'preauth', 'no-preauth'),
      enctypes: choice(input, 'enctypes', ENCTYPE_CHOICES),
    };
    const given = Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined));
    const status = Object.keys(given).length
      ? await invokeService(input.engine(), 'lab', 'setAccount', { ...adTarget(input), name, ...given })
      : await invokeService(input.engine(), 'lab', 'status', adTarget(input));
    return printAccount(input, status, name, Object.keys(given).length ? 'now' : '');
  },
};

const accountRemove: Command = {
  name: 'rm',
  summary: 'delete an account (and its keys from the service keytab)',
  usage: ['lab account rm NAME [--realm R] [--json]'],
  details: `alice, krbtgt and Administrator stay: the lab needs them. --json prints the accounts left.\n\n${AD_HELP}`,
  options: COMMON,
  positionals: { min: 1, max: 1 },
  async run(input) {
    const name = input.positionals[0]!;
    const status = await invokeService(input.engine(), 'lab', 'removeAccount', { ...adTarget(input), name });
    input.io.stdout(input.values.json ? json(status.ad?.accounts ?? []) : `removed ${name}\n`);
    return EXIT_OK;
  },
};

const accountList: Command = {
  name: 'list',
  summary: 'the accounts the lab made: kind, kvno, enctypes, state, salt, SPNs',
  usage: ['lab account list [--realm R] [--json]'],
  details:
    'AD\'s own accounts (Administrator, krbtgt, the DC) are left out. Salt: what AD derives the account\'s AES keys\n' +
    'with (REALM + sAMAccountName; a computer: REALM + "host" + name + "." + realm). --json prints\n' +
    `[ { "name", "kind", "dn", "principal", "spns", "kvno", "enctypes", "supportedEncryptionTypes", "enabled", "expired",\n"mustChangePassword", "requiresPreauth", "salt", "hasPassword", "inServiceKeytab", … } ].\n\n${AD_HELP}`,
  options: COMMON,
  async run(input) {
    const status = await invokeService(input.engine(), 'lab', 'status', adTarget(input));
    if (!status.ad) throw new UsageError(status.state === 'absent' ? `AD lab realm ${status.realm} does not exist: kbench lab up --kind ad` : `${status.realm} is not an AD lab realm`);
    input.io.stdout(input.values.json ? json(status.ad.accounts) : `${accountTable(status.ad.accounts)}\n`);
    return EXIT_OK;
  },
};

const accountPassword: Command = {
  name: 'password',
  summary: 'set a new password (as an admin), or --change it as the user does (kpasswd): kvno + 1',
  usage: ['lab account password NAME (--password P | --password-stdin) [--change] [--realm R] [--json]'],
  details:
    'Without --change: an administrator\'s reset (unicodePwd written through the directory). With --change: the\n' +
    'user changes it with the old password the lab knows (MIT kpasswd against the DC\'s kpasswd service). Either\n' +
    'way the kvno goes up by one and the lab\'s keytabs that held the account get the new keys; keytabs exported\n' +
    `before now fail ("… not found in keytab; keytab is likely out of date").\n${PASSWORD_HELP}\n\n${AD_HELP}`,
  options: { ...COMMON, password: { type: 'string' }, 'password-stdin': { type: 'boolean' }, change: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const name = input.positionals[0]!;
    const password = await passwordFrom(input);
    if (password === undefined || password === '') throw new UsageError('needs the new password: --password P, --password-stdin or KBENCH_PASSWORD');
    const status = input.values.change
      ? await invokeService(input.engine(), 'lab', 'changePassword', { ...adTarget(input), name, newPassword: password })
      : await invokeService(input.engine(), 'lab', 'setPassword', { ...adTarget(input), name, password });
    return printAccount(input, status, name, input.values.change ? 'password changed by the user:' : 'password set:');
  },
};

export const labAccountCommand: Command = {
  name: 'account',
  summary: 'AD accounts: add, set flags and enctypes, remove, list, passwords',
  usage: ['lab account add|set|rm|list|password …'],
  subcommands: [accountAdd, accountSet, accountRemove, accountList, accountPassword],
};

// ---- lab spn ---------------------------------------------------------------------------------

const spnAdd: Command = {
  name: 'add',
  summary: 'give an account an SPN (--force: even one another account holds)',
  usage: ['lab spn add SPN ACCOUNT [--force] [--realm R] [--json]'],
  details:
    'samba-tool spn add. AD refuses an SPN another account holds; --force writes it into the domain partition\n' +
    'directly, past AD\'s check, as a broken migration or a hand edit would: clients then get "Server not found\n' +
    `in Kerberos database" for it. --json prints the account.\n\n${AD_HELP}`,
  options: { ...COMMON, force: { type: 'boolean' } },
  positionals: { min: 2, max: 2 },
  async run(input) {
    const [spn, account] = input.positionals as [string, string];
    const status = await invokeService(input.engine(), 'lab', 'addSpn', { ...adTarget(input), spn, account, ...(input.values.force ? { force: true } : {}) });
    return printAccount(input, status, account, `${spn} added:`);
  },
};

const spnRemove: Command = {
  name: 'remove',
  summary: 'take an SPN from an account',
  usage: ['lab spn remove SPN ACCOUNT [--realm R] [--json]'],
  details: `Its keys leave the service keytab when no other account holds it. --json prints the account.\n\n${AD_HELP}`,
  options: COMMON,
  positionals: { min: 2, max: 2 },
  async run(input) {
    const [spn, account] = input.positionals as [string, string];
    const status = await invokeService(input.engine(), 'lab', 'removeSpn', { ...adTarget(input), spn, account });
    return printAccount(input, status, account, `${spn} removed:`);
  },
};

const spnFind: Command = {
  name: 'find',
  summary: 'which accounts hold an SPN (LDAP, as an administrator looks)',
  usage: ['lab spn find SPN [--realm R] [--json]'],
  details:
    'An LDAP search (servicePrincipalName=SPN) under the domain, bound as Administrator: two holders are a\n' +
    `duplicate SPN. --json prints [ { "account", "dn" } ].\n\n${AD_HELP}`,
  options: COMMON,
  positionals: { min: 1, max: 1 },
  async run(input) {
    const spn = input.positionals[0]!;
    const holders = await invokeService(input.engine(), 'lab', 'findSpn', { ...adTarget(input), spn });
    if (input.values.json) input.io.stdout(json(holders));
    else if (!holders.length) input.io.stdout(`no account holds ${spn}\n`);
    else {
      input.io.stdout(`${spn} is held by ${holders.length} account${holders.length === 1 ? '' : 's'}${holders.length > 1 ? ' (a duplicate SPN: the KDC finds none of them)' : ''}:\n`);
      for (const h of holders) input.io.stdout(`  ${padEnd(h.account, 22)}${h.dn}\n`);
    }
    return EXIT_OK;
  },
};

export const labSpnCommand: Command = {
  name: 'spn',
  summary: 'AD service principal names: add (--force duplicates), remove, find',
  usage: ['lab spn add|remove|find …'],
  subcommands: [spnAdd, spnRemove, spnFind],
};
