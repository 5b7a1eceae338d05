/**
 * AD scenarios: the AD lab realm (a Samba AD DC, realm AD.TEST) broken the ways Active Directory
 * deployments break — enctypes left unset, RC4-only accounts, password changes, keytabs salted the
 * MIT way, disabled and must-change accounts, duplicate SPNs, a DC clock off — with MIT clients and
 * our GSS acceptor doing the failing, so the error is the one a Linux service on an AD domain sees.
 *
 * Every scenario works on accounts of its own (kbench-ad-*, made at the start and deleted by
 * restore()); alice and the lab's svc-* accounts and service keytab are only ever read. An account
 * left behind by a run that was killed midway is deleted before the next run makes it again.
 * Accounts are made as users holding SPNs (not lab "service" accounts), so the lab's service
 * keytab never gets their keys: the scenario exports the keytab it needs into its scratch folder.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LabEnctypeChoice, LabTarget } from '../api/lab';
import { KEYTAB_V2, keytabEntryFromPassword, writeKeytab } from '../krb/keytab';
import { enctypeId, parsePrincipal } from '../krb/names';
import { runTool } from '../system/exec';
import type { Attempt, Scenario, ScenarioContext } from './scenarios';
import { clientProfile, krb5ConfCopy, runKinit, saslFlow } from './scenario-flows';

/** Ids of AD scenarios start with this: they run against the AD lab realm. */
export const AD_SCENARIO_PREFIX = 'ad-';

export function isAdScenario(id: string): boolean {
  return id.startsWith(AD_SCENARIO_PREFIX);
}

/** How far the DC's clock runs behind in ad-clock-skew: well past the 300 s allowed skew. */
const CLOCK_OFFSET_SECONDS = -900;

const AES = ['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha1-96'];

// ---- the scenarios' own accounts ----------------------------------------------------------------

/** Every lab call of an AD scenario names the realm it runs on (without it, the lab means BENCH.TEST). */
function at(ctx: ScenarioContext): LabTarget & { realm: string } {
  return { realm: ctx.status.realm, kind: 'ad' };
}

/** A password for a scenario account (the realm's policy is relaxed, but keep it strong anyway). */
function newPassword(): string {
  return `Kb1-${randomBytes(12).toString('base64url')}`;
}

/** The GSS name and SPN an account of ours serves: "kbench-ad-x@localhost", "kbench-ad-x/localhost". */
function serviceOf(account: string): { gss: string; spn: string } {
  return { gss: `${account}@localhost`, spn: `${account}/localhost` };
}

/** Deletes these accounts when they exist (a run killed midway leaves them behind). */
async function removeAccounts(ctx: ScenarioContext, ...names: string[]): Promise<void> {
  const accounts = (await ctx.lab.status(at(ctx))).ad?.accounts ?? [];
  for (const name of names) if (accounts.some((a) => a.name === name)) await ctx.lab.removeAccount({ ...at(ctx), name });
}

interface OwnAccount {
  name: string;
  password?: string;
  spns?: string[];
  enctypes?: LabEnctypeChoice;
}

/** Makes an account of the scenario's own (a user, holding `spns`): a fresh one, whatever a killed run left. */
async function addAccount(ctx: ScenarioContext, account: OwnAccount): Promise<string> {
  await removeAccounts(ctx, account.name);
  const password = account.password ?? newPassword();
  await ctx.lab.addAccount({ ...at(ctx), type: 'user', ...account, password });
  return password;
}

/** The account's kvno (msDS-KeyVersionNumber) as the DC has it now. */
async function kvnoOf(ctx: ScenarioContext, name: string): Promise<number> {
  const account = (await ctx.lab.status(at(ctx))).ad?.accounts.find((a) => a.name === name);
  if (!account) throw new Error(`the account ${name} is not in ${ctx.status.realm}`);
  return account.kvno;
}

/** kinit as an account with its password, into a scratch ccache; what kinit printed on failure (its prompts too). */
async function kinitWithPassword(ctx: ScenarioContext, principal: string, password: string): Promise<Attempt> {
  const ccache = path.join(ctx.dir, `kinit-${randomBytes(4).toString('hex')}.ccache`);
  const run = await runKinit(ctx, [principal], { ccache, password });
  if (run.ok) return { error: '', exchanges: [] };
  // kinit prompts on stdout: "Password expired.  You must change it now." is said there, before the error.
  const said = [run.stdout, run.error ?? run.stderr]
    .join('\n')
    .replace(/^Password for \S+: ?/gm, '')
    .replace(/(?:Enter new password|Enter it again): ?/g, '')
    .replace(/\n{2,}/g, '\n')
    .trim();
  return { error: said || `kinit exited with ${run.code}`, exchanges: [] };
}

/** A TGT for alice with the lab's password for her, into a scratch ccache under this krb5.conf; throws when kinit fails. */
async function aliceTgt(ctx: ScenarioContext, name: string, krb5Conf: string): Promise<string> {
  const { principal, password } = await ctx.lab.revealPassword({ ...at(ctx), name: 'alice' });
  const ccache = path.join(ctx.dir, name);
  const run = await runKinit(ctx, [principal], { ccache, password, krb5Conf });
  if (!run.ok) throw new Error(`kinit alice for the scenario failed: ${(run.error ?? run.stderr).trim()}`);
  return ccache;
}

/**
 * MIT's kvno for `principal`, with a TGT of alice's in a scratch ccache: what an administrator runs
 * to test an SPN, and — unlike a GSS client's minor status — its error names the principal asked for.
 */
async function kvno(ctx: ScenarioContext, principal: string): Promise<Attempt> {
  const ccache = await aliceTgt(ctx, 'kvno.ccache', ctx.status.krb5Conf);
  const env = { PATH: process.env.PATH, KRB5_CONFIG: ctx.status.krb5Conf, KRB5CCNAME: `FILE:${ccache}` };
  const run = await runTool('kvno', [principal], { env, timeoutMs: 30_000 });
  if (run.ok) return { error: '', exchanges: [] };
  return { error: (run.error ?? run.stderr).trim() || `kvno exited with ${run.code}`, exchanges: [] };
}

/** Our SASL client (alice, the lab profile) against our acceptor with `keytab`, for the account's SPN. */
function acceptWith(ctx: ScenarioContext, account: string, keytab: string): Promise<Attempt> {
  return saslFlow(ctx, { service: serviceOf(account).gss, keytab });
}

// ---- the scenarios ----------------------------------------------------------------------------

/** The realm's krb5.conf permitting AES only: what a hardened host (or allow_rc4 = false) has. */
function aesOnlyConf(ctx: ScenarioContext, name: string): Promise<string> {
  return krb5ConfCopy(ctx, name, (text) =>
    text.replace(/^(\s*(?:permitted_enctypes|default_tkt_enctypes|default_tgs_enctypes)\s*=).*$/gm, `$1 ${AES.join(' ')}`).replace(/^\s*allow_rc4\s*=.*$/m, '  allow_rc4 = false'),
  );
}

const RC4_TICKET = 'kbench-ad-rc4tkt';
const rc4TicketAesKeytab: Scenario = {
  id: 'ad-rc4-ticket-aes-keytab',
  title: 'RC4 ticket for an AES-only keytab (enctypes unset on the account)',
  expects: 'keytab-missing-enctype',
  description: `An account of the scenario's own (${RC4_TICKET}) gets its AES keys exported, then its msDS-SupportedEncryptionTypes is cleared — so the DC issues RC4 tickets for it (with an AES session key); our acceptor holds only the AES keys.`,
  async run(ctx) {
    const { spn } = serviceOf(RC4_TICKET);
    // Exported while the account declares AES: without the attribute, the export would give the RC4 key alone.
    await addAccount(ctx, { name: RC4_TICKET, spns: [spn], enctypes: 'aes' });
    const keytab = await ctx.lab.exportKeytab({ ...at(ctx), path: path.join(ctx.dir, 'aes-only.keytab'), principals: [spn], enctypes: AES });
    await ctx.lab.setAccount({ ...at(ctx), name: RC4_TICKET, enctypes: 'unset' });
    return acceptWith(ctx, RC4_TICKET, keytab.path);
  },
  restore: (ctx) => removeAccounts(ctx, RC4_TICKET),
};

const RC4_ONLY = 'kbench-ad-rc4only';
const rc4OnlyAesClient: Scenario = {
  id: 'ad-rc4-only-aes-client',
  title: 'RC4-only service account, AES-only client',
  expects: 'etype-no-support',
  description: `An account of the scenario's own (${RC4_ONLY}) with msDS-SupportedEncryptionTypes = RC4; alice asks for a ticket to it with a krb5.conf that permits only AES (as hardened clients do).`,
  async run(ctx) {
    await addAccount(ctx, { name: RC4_ONLY, spns: [serviceOf(RC4_ONLY).spn], enctypes: 'rc4' });
    const conf = await aesOnlyConf(ctx, 'aes-only.conf');
    const client = clientProfile(ctx, 'ad-rc4-only-aes-client', await aliceTgt(ctx, 'aes-only.ccache', conf), conf);
    return saslFlow(ctx, { client, service: serviceOf(RC4_ONLY).gss });
  },
  restore: (ctx) => removeAccounts(ctx, RC4_ONLY),
};

const PASSWORD_CHANGE = 'kbench-ad-pwchange';
const passwordChangeStaleKeytab: Scenario = {
  id: 'ad-password-change-stale-keytab',
  title: 'Keytab from before a password change',
  expects: 'keytab-kvno-out-of-date',
  description: `An account of the scenario's own (${PASSWORD_CHANGE}) has its keytab exported; then its password is changed (kpasswd as the account: kvno + 1) and our acceptor keeps the keytab from before.`,
  async run(ctx) {
    const { spn } = serviceOf(PASSWORD_CHANGE);
    await addAccount(ctx, { name: PASSWORD_CHANGE, spns: [spn], enctypes: 'both' });
    const before = await ctx.lab.exportKeytab({ ...at(ctx), path: path.join(ctx.dir, 'before-change.keytab'), principals: [spn] });
    await ctx.lab.changePassword({ ...at(ctx), name: PASSWORD_CHANGE, newPassword: newPassword() });
    return acceptWith(ctx, PASSWORD_CHANGE, before.path);
  },
  restore: (ctx) => removeAccounts(ctx, PASSWORD_CHANGE),
};

const WRONG_SALT = 'kbench-ad-salt';
const wrongSalt: Scenario = {
  id: 'ad-wrong-salt',
  title: 'Keytab built from the password with MIT’s salt instead of AD’s',
  expects: 'keytab-wrong-key',
  description: `An account of the scenario's own (${WRONG_SALT}, AES only); its keytab is built from the right password and kvno, but salted as MIT salts a service principal (realm + SPN components) instead of as AD does (realm + account name).`,
  async run(ctx) {
    const { spn } = serviceOf(WRONG_SALT);
    const password = await addAccount(ctx, { name: WRONG_SALT, spns: [spn], enctypes: 'aes' });
    const principal = parsePrincipal(`${spn}@${ctx.status.realm}`);
    const kvno = await kvnoOf(ctx, WRONG_SALT);
    // keytabEntryFromPassword's default salt is MIT's: "AD.TESTkbench-ad-saltlocalhost".
    const entries = AES.map((enctype) => keytabEntryFromPassword(principal, password, enctypeId(enctype)!, kvno));
    const keytab = path.join(ctx.dir, 'mit-salted.keytab');
    await writeFile(keytab, writeKeytab({ version: KEYTAB_V2, entries }), { mode: 0o600 });
    return acceptWith(ctx, WRONG_SALT, keytab);
  },
  restore: (ctx) => removeAccounts(ctx, WRONG_SALT),
};

const DISABLED = 'kbench-ad-disabled';
const disabledAccount: Scenario = {
  id: 'ad-disabled-account',
  title: 'Disabled account',
  expects: 'client-revoked',
  description: `An account of the scenario's own (${DISABLED}) is disabled (userAccountControl ACCOUNTDISABLE); kinit with its right password.`,
  async run(ctx) {
    const password = await addAccount(ctx, { name: DISABLED });
    await ctx.lab.setAccount({ ...at(ctx), name: DISABLED, enabled: false });
    return kinitWithPassword(ctx, `${DISABLED}@${ctx.status.realm}`, password);
  },
  restore: (ctx) => removeAccounts(ctx, DISABLED),
};

const MUST_CHANGE = 'kbench-ad-mustchg';
const mustChangePassword: Scenario = {
  id: 'ad-must-change-password',
  title: 'Password must be changed at next logon',
  expects: 'password-expired',
  description: `An account of the scenario's own (${MUST_CHANGE}) with "user must change password at next logon" (pwdLastSet = 0); kinit with its right password and no new one to give.`,
  async run(ctx) {
    const password = await addAccount(ctx, { name: MUST_CHANGE });
    await ctx.lab.setAccount({ ...at(ctx), name: MUST_CHANGE, mustChangePassword: true });
    return kinitWithPassword(ctx, `${MUST_CHANGE}@${ctx.status.realm}`, password);
  },
  restore: (ctx) => removeAccounts(ctx, MUST_CHANGE),
};

const DUPLICATE = 'kbench-ad-dup';
const DUPLICATE_HOLDERS = ['kbench-ad-dup1', 'kbench-ad-dup2'] as const;
const duplicateSpn: Scenario = {
  id: 'ad-duplicate-spn',
  title: 'The same SPN on two accounts',
  expects: 'duplicate-spn',
  description: `${DUPLICATE}/localhost is registered on ${DUPLICATE_HOLDERS[0]}, then written onto ${DUPLICATE_HOLDERS[1]} as well past AD's uniqueness check (as a hand edit or a broken migration does); alice asks for a ticket to it (kvno).`,
  async run(ctx) {
    const { spn } = serviceOf(DUPLICATE);
    await addAccount(ctx, { name: DUPLICATE_HOLDERS[0], spns: [spn], enctypes: 'aes' });
    await addAccount(ctx, { name: DUPLICATE_HOLDERS[1], enctypes: 'aes' });
    await ctx.lab.addSpn({ ...at(ctx), spn, account: DUPLICATE_HOLDERS[1], force: true });
    return kvno(ctx, `${spn}@${ctx.status.realm}`);
  },
  restore: (ctx) => removeAccounts(ctx, ...DUPLICATE_HOLDERS),
};

const clockSkew: Scenario = {
  id: 'ad-clock-skew',
  title: 'Domain controller clock 15 minutes behind',
  expects: 'clock-skew',
  description: `The DC runs ${-CLOCK_OFFSET_SECONDS / 60} minutes behind (libfaketime): MIT clients keep the DC's time, so alice's authenticator is ${-CLOCK_OFFSET_SECONDS / 60} minutes off the clock of our acceptor (this machine). The clock is set back afterwards.`,
  async run(ctx) {
    await ctx.lab.setClockOffset({ ...at(ctx), seconds: CLOCK_OFFSET_SECONDS });
    return saslFlow(ctx);
  },
  async restore(ctx) {
    await ctx.lab.setClockOffset({ ...at(ctx), seconds: 0 });
  },
};

export const AD_SCENARIOS: readonly Scenario[] = [
  rc4TicketAesKeytab,
  rc4OnlyAesClient,
  passwordChangeStaleKeytab,
  wrongSalt,
  disabledAccount,
  mustChangePassword,
  duplicateSpn,
  clockSkew,
];

/** The scenarios' own accounts, by scenario (tests and clean-up check none is left). */
export const AD_SCENARIO_ACCOUNTS: readonly string[] = [RC4_TICKET, RC4_ONLY, PASSWORD_CHANGE, WRONG_SALT, DISABLED, MUST_CHANGE, ...DUPLICATE_HOLDERS];
