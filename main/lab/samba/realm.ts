/**
 * A throwaway Active Directory domain: a Samba 4 AD domain controller provisioned into one
 * directory and run on loopback. Nothing under /etc is read or written: provisioning gets its own
 * base smb.conf (`-s`), every path the DC uses lies in the directory, and clients get a krb5.conf
 * of their own that points MIT's libraries at the DC's KDC.
 *
 *   <dir>/dc/                  samba-tool's target directory: etc/smb.conf, private/sam.ldb …
 *   <dir>/run/samba.pid        the root `samba` process
 *   <dir>/samba.log            its debug output (the KDC's AS-REQ / TGS-REQ lines among it)
 *   <dir>/krb5.conf            for MIT clients: the realm's KDC and kpasswd on 127.0.0.1
 *
 * Provisioning takes 4–6 s, so the lab provisions once into a template and copies it (`cp -a`,
 * then every path in smb.conf rewritten) for each later realm: see samba/template.ts.
 *
 * Only the services the bench needs run (`server services = kdc ldap`, one process with
 * `-M single`). The KDC and kpasswd ports are settable; LDAP is not (389 and 3268 on 127.0.0.1),
 * so one AD lab runs at a time on a machine. Samba's DC must run as root.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findExecutable, runTool, type ToolRun } from '../../system/exec';
import { fileSize, readFrom, writeFileAtomic } from '../../system/files';
import { freeLoopbackPort, labKrb5Conf, RealmError, tcpConnects, type KinitSecret, type PrincipalSecret, type RealmBackend } from '../backend';
import { spawnDetached, stopPid } from '../kdc-process';
import { isZombie, listPids, pidAlive, processStartedAt } from '../procfs';
import { exists } from '../realm-state';
import { ldifEntries, ldifText, type LdifEntry } from './ldif';

/** The Samba and MIT tools the AD lab uses and the Debian package that ships each. */
export const SAMBA_TOOL_PACKAGES = {
  samba: 'samba',
  'samba-tool': 'samba-common-bin',
  ldbsearch: 'ldb-tools',
  ldbmodify: 'ldb-tools',
  kinit: 'krb5-user',
  kpasswd: 'krb5-user',
} as const;
export type SambaTool = keyof typeof SAMBA_TOOL_PACKAGES;

/** libfaketime runs the DC with a clock offset (Samba has no krb5kdc -T). */
export const FAKETIME_LIBRARY = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

/** LDAP on the DC: fixed by Samba. */
export const AD_LDAP_PORT = 389;

const PROVISION_TIMEOUT_MS = 120_000;
const TOOL_TIMEOUT_MS = 30_000;
const DC_START_TIMEOUT_MS = 30_000;

/** msDS-SupportedEncryptionTypes bits (MS-KILE §2.2.7). */
export const SUPPORTED_ENCTYPE_BITS = { 'des-cbc-crc': 0x1, 'des-cbc-md5': 0x2, rc4: 0x4, aes128: 0x8, aes256: 0x10 } as const;

/** userAccountControl bits (MS-ADTS §2.2.16). */
export const UAC = {
  ACCOUNTDISABLE: 0x2,
  NORMAL_ACCOUNT: 0x200,
  WORKSTATION_TRUST_ACCOUNT: 0x1000,
  DONT_EXPIRE_PASSWORD: 0x10000,
  DONT_REQ_PREAUTH: 0x400000,
} as const;

/**
 * Samba's DC runs as root only. Tried and dropped (Samba 4.17.12): a user namespace (`unshare -r`,
 * also with a subordinate uid range mapped through newuidmap) runs a KDC-only DC, but provisioning
 * panics there ("Security context active token stack underflow" while it sets the sysvol ACLs),
 * and LDAP's port 389 needs root in the machine's network namespace anyway.
 */
export function canRunSamba(): boolean {
  return process.getuid?.() === 0;
}

export type SambaRunMode = 'root';

/** 'root' when the DC can run here, else null (see canRunSamba). */
export async function sambaRunMode(): Promise<SambaRunMode | null> {
  return canRunSamba() ? 'root' : null;
}

/** The RealmError for a machine where the DC cannot run. */
export function cannotRunSamba(): RealmError {
  return new RealmError(
    'tool-missing',
    "Samba's AD DC must run as root (it provisions the domain's sysvol ACLs and binds LDAP on 127.0.0.1:389): run the bench as root (sudo kbench lab up --kind ad, or sudo kbench web). The MIT lab needs no root.",
  );
}

function requireRoot(): void {
  if (!canRunSamba()) throw cannotRunSamba();
}

export interface SambaDcProcess {
  pid: number;
  startedAt: number | null;
  clockOffsetSeconds: number;
}

/** The NetBIOS domain name AD derives from the realm: its first label, upper case, at most 15 characters. */
export function netbiosDomain(realm: string): string {
  return (realm.split('.')[0] ?? realm).toUpperCase().replace(/[^A-Z0-9-]/g, '').slice(0, 15) || 'LAB';
}

/** "AD.TEST" → "DC=ad,DC=test". */
export function baseDn(realm: string): string {
  return realm
    .toLowerCase()
    .split('.')
    .map((label) => `DC=${label}`)
    .join(',');
}

/** The file name Samba gives the domain partition under private/sam.ldb.d. */
function partitionFile(realm: string): string {
  return `${baseDn(realm).toUpperCase()}.ldb`;
}

export class SambaRealm implements RealmBackend {
  readonly kind = 'ad' as const;
  private readonly tools = new Map<SambaTool, string>();

  private constructor(
    readonly dir: string,
    readonly realm: string,
    private kdcPort: number,
    private kpasswdPort: number,
  ) {}

  // ---- making a DC ---------------------------------------------------------------------------

  /**
   * Provisions a new domain into `dir` (samba-tool domain provision, 4–6 s), keeps only the
   * services the bench needs, puts the KDC on free ports and relaxes the password policy for lab
   * use. The Administrator password is set afterwards through the directory (never on a command line).
   */
  static async provision(options: { dir: string; realm: string }): Promise<{ realm: SambaRealm; adminPassword: string }> {
    const dir = path.resolve(options.dir);
    await mkdir(path.join(dir, 'run'), { recursive: true, mode: 0o700 });
    await mkdir(path.join(dir, 'log'), { recursive: true, mode: 0o700 });
    const base = path.join(dir, 'base.conf');
    await writeFile(base, baseConf(dir));
    const realm = new SambaRealm(dir, options.realm, 0, 0);
    const run = await realm.runSamba(
      'samba-tool',
      [
        'domain', 'provision', '-s', base, `--targetdir=${path.join(dir, 'dc')}`, `--realm=${options.realm}`, `--domain=${netbiosDomain(options.realm)}`,
        '--host-name=dc1', '--server-role=dc', '--dns-backend=NONE', '--use-rfc2307', '--host-ip=127.0.0.1',
      ],
      { timeoutMs: PROVISION_TIMEOUT_MS },
    );
    if (!run.ok) throw new RealmError('setup', `samba-tool domain provision failed for ${options.realm} in ${dir}`, toolOutput(run).split('\n').slice(-15).join('\n'));
    await realm.usePorts(await freeLoopbackPort(), await freeLoopbackPort());
    await realm.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=0', '--max-pwd-age=0', '--complexity=off', '--history-length=0', '--min-pwd-length=0']);
    // Provisioning made a random Administrator password it does not tell: set one we keep (on stdin, not argv).
    const adminPassword = randomPassword();
    await realm.setAccountPassword('Administrator', adminPassword);
    return { realm, adminPassword };
  }

  /**
   * A new realm from a provisioned template: the template's files copied (`cp -a`), every path in
   * smb.conf moved to the new directory, the KDC on free ports. Same domain (SID, accounts, keys).
   */
  static async copyOf(template: SambaRealm, dir: string): Promise<SambaRealm> {
    const target = path.resolve(dir);
    await mkdir(target, { recursive: true, mode: 0o700 });
    const copy = await runTool('cp', ['-a', path.join(template.dir, 'dc'), path.join(template.dir, 'base.conf'), target + path.sep], { timeoutMs: 60_000 });
    if (!copy.ok) throw new RealmError('setup', `copying the AD template ${template.dir} to ${target} failed`, toolOutput(copy));
    await mkdir(path.join(target, 'run'), { recursive: true, mode: 0o700 });
    await mkdir(path.join(target, 'log'), { recursive: true, mode: 0o700 });
    const conf = path.join(target, 'dc', 'etc', 'smb.conf');
    const text = (await readFile(conf, 'utf8')).split(template.dir + path.sep).join(target + path.sep);
    await writeFile(conf, text);
    await writeFile(path.join(target, 'base.conf'), baseConf(target));
    const realm = new SambaRealm(target, template.realm, 0, 0);
    await realm.usePorts(await freeLoopbackPort(), await freeLoopbackPort());
    return realm;
  }

  /** An existing DC directory: realm and ports read back from its smb.conf. */
  static async open(dir: string): Promise<SambaRealm> {
    const resolved = path.resolve(dir);
    const conf = await readFile(path.join(resolved, 'dc', 'etc', 'smb.conf'), 'utf8').catch(() => {
      throw new RealmError('setup', `${resolved} holds no AD lab domain controller (no dc/etc/smb.conf)`);
    });
    const realm = /^\s*realm\s*=\s*(\S+)\s*$/m.exec(conf)?.[1];
    const kdcPort = Number(/^\s*krb5 port\s*=\s*(\d+)\s*$/m.exec(conf)?.[1] ?? NaN);
    const kpasswdPort = Number(/^\s*kpasswd port\s*=\s*(\d+)\s*$/m.exec(conf)?.[1] ?? NaN);
    if (!realm || !Number.isInteger(kdcPort) || !Number.isInteger(kpasswdPort)) {
      throw new RealmError('setup', `${path.join(resolved, 'dc', 'etc', 'smb.conf')} was not written by Kerberos Bench (no realm or krb5 port)`);
    }
    return new SambaRealm(resolved, realm.toUpperCase(), kdcPort, kpasswdPort);
  }

  // ---- where things are ----------------------------------------------------------------------

  get port(): number {
    return this.kdcPort;
  }

  get passwordPort(): number {
    return this.kpasswdPort;
  }

  get paths() {
    const at = (...name: string[]) => path.join(this.dir, ...name);
    return {
      smbConf: at('dc', 'etc', 'smb.conf'),
      samLdb: at('dc', 'private', 'sam.ldb'),
      partition: at('dc', 'private', 'sam.ldb.d', partitionFile(this.realm)),
      pidFile: at('run', 'samba.pid'),
      /** The clock offset the running DC was started with (libfaketime's FAKETIME). */
      offsetFile: at('run', 'clock-offset'),
      log: at('samba.log'),
      krb5Conf: at('krb5.conf'),
      ccache: at('default.ccache'),
      keytab: at('default.keytab'),
    };
  }

  get krb5Conf(): string {
    return this.paths.krb5Conf;
  }

  get baseDn(): string {
    return baseDn(this.realm);
  }

  /** The variables that put an MIT client in this realm. */
  variables(): Record<string, string> {
    const p = this.paths;
    return { KRB5_CONFIG: p.krb5Conf, KRB5CCNAME: `FILE:${p.ccache}`, KRB5_KTNAME: `FILE:${p.keytab}` };
  }

  env(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...base, ...this.variables() };
    delete env.KRB5_CLIENT_KTNAME;
    delete env.KRB5_KDC_PROFILE;
    return env;
  }

  /** Moves the KDC and kpasswd to other ports: smb.conf and krb5.conf rewritten (restart the DC yourself). */
  async usePorts(kdcPort: number, kpasswdPort: number): Promise<void> {
    this.kdcPort = kdcPort;
    this.kpasswdPort = kpasswdPort;
    const conf = this.paths.smbConf;
    // Atomic: a kill during `lab up` must not leave the realm with half an smb.conf.
    await writeFileAtomic(conf, Buffer.from(withLabSettings(await readFile(conf, 'utf8'), { kdcPort, kpasswdPort })), 0o644);
    await writeFileAtomic(this.paths.krb5Conf, Buffer.from(clientKrb5Conf(this.realm, kdcPort, kpasswdPort, this.dir)), 0o644);
  }

  // ---- the DC process ------------------------------------------------------------------------

  /** The running DC of this directory, found from its pid file and believed only when /proc says it is ours. */
  async find(): Promise<SambaDcProcess | null> {
    const pid = Number((await readFile(this.paths.pidFile, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid) || (await isZombie(pid))) return null;
    const dir = await dcDir(pid);
    if (!dir || path.resolve(dir) !== this.dir) return null;
    const offset = Number((await readFile(this.paths.offsetFile, 'utf8').catch(() => '0')).trim());
    return { pid, startedAt: await processStartedAt(pid), clockOffsetSeconds: Number.isInteger(offset) ? offset : 0 };
  }

  /**
   * Starts `samba` detached in its own session (stdout to samba.log), waits until its KDC answers
   * and LDAP listens, then lets it go: it outlives this process. `clockOffsetSeconds` runs it under
   * libfaketime.
   */
  async start(options: { clockOffsetSeconds?: number } = {}): Promise<SambaDcProcess> {
    const samba = await this.tool('samba');
    requireRoot();
    await this.tool('kinit'); // the readiness probe needs it
    const offset = Math.trunc(options.clockOffsetSeconds ?? 0);
    const env: NodeJS.ProcessEnv = this.env();
    if (offset) {
      if (!(await exists(FAKETIME_LIBRARY))) throw new RealmError('tool-missing', `a clock offset needs libfaketime (${FAKETIME_LIBRARY}): install the Debian package libfaketime (sudo apt-get install -y libfaketime)`);
      Object.assign(env, { LD_PRELOAD: FAKETIME_LIBRARY, FAKETIME: `${offset >= 0 ? '+' : ''}${offset}s`, FAKETIME_DONT_FAKE_MONOTONIC: '1', FAKETIME_DONT_RESET: '1' });
    }
    // LDAP's port is fixed: another DC (or slapd) on it would answer our readiness probe and our
    // LDAP searches while this DC runs without LDAP. Refuse instead.
    if (await tcpConnects(AD_LDAP_PORT)) throw await this.ldapTaken();
    await rm(this.paths.pidFile, { force: true });
    await writeFileAtomic(this.paths.offsetFile, Buffer.from(`${offset}\n`), 0o644);
    const logStart = await fileSize(this.paths.log);
    const started = await spawnDetached({
      command: samba,
      // -F: no fork of its own (we detach it ourselves and know its pid); -M single: one process.
      args: ['-F', '--debug-stdout', '-M', 'single', '-s', this.paths.smbConf],
      env,
      outputFile: this.paths.log,
      pidFile: this.paths.pidFile,
      ready: () => this.ready(),
      timeoutMs: DC_START_TIMEOUT_MS,
      failure: (reason) => this.startFailure(`samba ${reason}${reason.startsWith('did not') ? ` on 127.0.0.1:${this.kdcPort}` : ''}`, logStart),
    });
    return { ...started, clockOffsetSeconds: offset };
  }

  /** Stops the DC (SIGTERM to the root samba process, SIGKILL after 5 s). Safe when it is not running. */
  async stop(): Promise<void> {
    const running = await this.find();
    if (running) await stopPid(running.pid);
    await rm(this.paths.pidFile, { force: true });
  }

  private async ready(): Promise<boolean> {
    if (!(await tcpConnects(this.kdcPort)) || !(await tcpConnects(AD_LDAP_PORT))) return false;
    return this.kdcAnswers();
  }

  async kdcAnswers(): Promise<boolean> {
    if (!(await tcpConnects(this.kdcPort))) return false;
    const probe = `kbench-probe-${Math.random().toString(16).slice(2, 10)}@${this.realm}`;
    const run = await runTool(await this.tool('kinit'), ['-c', `FILE:${path.join(this.dir, 'probe.ccache')}`, probe], { env: this.env(), timeoutMs: 3000 });
    return /not found in Kerberos database/.test(run.stderr);
  }

  private async startFailure(message: string, logStart: number): Promise<RealmError> {
    const excerpt = (await readFrom(this.paths.log, logStart)).trim().split('\n').slice(-15).join('\n');
    return new RealmError('kdc-start', message, excerpt ? `samba log (${this.paths.log}):\n${excerpt}` : 'samba wrote no log');
  }

  /** Who holds LDAP's port: another AD lab's DC (named by its realm directory) or another program. */
  private async ldapTaken(): Promise<RealmError> {
    const other = (await dcsUnder('/', await listPids()))[0];
    const who = other ? `the AD lab DC of ${other.dir} (pid ${other.pid}): stop it first (kbench lab down --kind ad, with that lab's KBENCH_DATA_DIR)` : 'another program (sudo ss -ltnp "sport = :389" names it)';
    return new RealmError('kdc-start', `127.0.0.1:${AD_LDAP_PORT} (LDAP) is in use by ${who}. Samba's LDAP port is fixed, so one AD lab DC runs at a time on a machine.`);
  }

  // ---- directory operations ------------------------------------------------------------------

  /** Runs one samba-tool command against this DC's smb.conf; its error text on failure. */
  async samba(args: string[]): Promise<string> {
    const run = await this.runSamba('samba-tool', [...args, '-s', this.paths.smbConf]);
    if (!run.ok) {
      const error = run.stderr.split('\n').find((line) => /^ERROR/.test(line)) ?? toolOutput(run).split('\n').slice(-3).join(' ');
      throw new RealmError('kadmin', `samba-tool ${args.slice(0, 2).join(' ')} failed: ${error.trim()}`);
    }
    return run.stdout;
  }

  /** ldbsearch on the local sam.ldb (subtree under the domain), the entries parsed. */
  async search(filter: string, attributes: string[]): Promise<LdifEntry[]> {
    const run = await this.runSamba('ldbsearch', ['-H', this.paths.samLdb, '-s', 'sub', '-b', this.baseDn, filter, ...attributes]);
    if (!run.ok) throw new RealmError('kadmin', `ldbsearch ${filter} failed`, toolOutput(run));
    return ldifEntries(run.stdout);
  }

  /**
   * Applies one LDIF modification to the local sam.ldb (Samba's modules check it, as for LDAP);
   * with `raw`, to the domain partition's file directly — past every check, the only way to make
   * what AD refuses (a duplicate SPN). The LDIF goes in on stdin: it may hold a password.
   */
  async modify(dn: string, changes: { op: 'replace' | 'add' | 'delete'; attribute: string; values: (string | Buffer)[] }[], options: { raw?: boolean } = {}): Promise<void> {
    const ldif = ldifText(dn, changes);
    const target = options.raw ? this.paths.partition : this.paths.samLdb;
    // --configfile: without smb.conf's realm, Samba's password_hash module salts the AES keys with
    // the bare account name ("alice") instead of AD's REALM + name ("AD.TESTalice").
    const run = await this.runSamba('ldbmodify', ['-H', target, `--configfile=${this.paths.smbConf}`], { input: ldif });
    if (!run.ok || !/Modified 1 records? successfully/.test(run.stdout)) {
      throw new RealmError('kadmin', `ldbmodify ${dn} (${changes.map((c) => `${c.op} ${c.attribute}`).join(', ')}) failed: ${toolOutput(run).split('\n').slice(0, 3).join(' ')}`);
    }
  }

  /** The account's DN by sAMAccountName, or null. */
  async dnOf(account: string): Promise<string | null> {
    const found = await this.search(`(sAMAccountName=${escapeFilter(account)})`, ['distinguishedName']);
    return found[0]?.dn ?? null;
  }

  /** Sets an account's password through the directory (unicodePwd on stdin): kvno + 1. */
  async setAccountPassword(account: string, password: string): Promise<void> {
    const dn = await this.requireDn(account);
    await this.modify(dn, [{ op: 'replace', attribute: 'unicodePwd', values: [Buffer.from(`"${password}"`, 'utf16le')] }]);
  }

  async requireDn(account: string): Promise<string> {
    const dn = await this.dnOf(account);
    if (!dn) throw new RealmError('kadmin', `no account ${account} in ${this.realm}`);
    return dn;
  }

  // ---- RealmBackend --------------------------------------------------------------------------

  /** A user account (sAMAccountName = the name's first component) with a password or a random one. */
  async addPrincipal(name: string, secret: PrincipalSecret): Promise<void> {
    const account = name.replace(/@.*$/, '');
    await this.samba(['user', 'add', account, '--random-password']);
    if ('password' in secret) await this.setAccountPassword(account, secret.password);
  }

  async changeKey(name: string, secret: PrincipalSecret): Promise<void> {
    const account = name.replace(/@.*$/, '');
    await this.setAccountPassword(account, 'password' in secret ? secret.password : randomPassword());
  }

  /** samba-tool domain exportkeytab: the principal's current keys (of the enctypes the account supports), appended. */
  async exportKeys(keytabPath: string, principal: string): Promise<void> {
    await this.samba(['domain', 'exportkeytab', path.resolve(keytabPath), `--principal=${principal}`]);
  }

  async kinit(principal: string, secret: KinitSecret, options: { ccache?: string } = {}): Promise<string> {
    const ccache = path.resolve((options.ccache ?? path.join(this.dir, `${principal.replace(/[^\w.-]+/g, '_')}.ccache`)).replace(/^FILE:/, ''));
    const args = ['-c', `FILE:${ccache}`, ...('keytab' in secret ? ['-k', '-t', path.resolve(secret.keytab)] : []), principal];
    const run = await runTool(await this.tool('kinit'), args, { env: this.env(), timeoutMs: TOOL_TIMEOUT_MS, input: 'password' in secret ? `${secret.password}\n` : '' });
    if (!run.ok) throw new RealmError('kinit', `kinit ${principal} failed`, toolOutput(run).replace(/^Password for \S+: ?/m, ''));
    return ccache;
  }

  /** Runs a Samba tool (samba-tool, ldbsearch, ldbmodify) on this DC's files: as root only (see canRunSamba). */
  async runSamba(name: 'samba-tool' | 'ldbsearch' | 'ldbmodify', args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<ToolRun> {
    const tool = await this.tool(name);
    requireRoot();
    return runTool(tool, args, { env: this.env(), timeoutMs: options.timeoutMs ?? TOOL_TIMEOUT_MS, ...(options.input !== undefined ? { input: options.input } : {}) });
  }

  /** The absolute path of a tool; RealmError 'tool-missing' names its Debian package. */
  async tool(name: SambaTool): Promise<string> {
    const known = this.tools.get(name);
    if (known) return known;
    const found = (await findExecutable(name)) ?? (await findExecutable(name, { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` }));
    if (!found) {
      const pkg = SAMBA_TOOL_PACKAGES[name];
      throw new RealmError('tool-missing', `${name} not found: install the Debian package ${pkg} (sudo apt-get install -y ${pkg}; scripts/setup.sh installs all the AD lab needs)`);
    }
    this.tools.set(name, found);
    return found;
  }
}

// ---- configuration ---------------------------------------------------------------------------

/** What provisioning reads instead of /etc/samba/smb.conf: loopback only, every path in `dir`. */
function baseConf(dir: string): string {
  const at = (...name: string[]) => path.join(dir, ...name);
  return `[global]
  interfaces = lo
  bind interfaces only = yes
  log file = ${at('log', '%m.log')}
  pid directory = ${at('run')}
  ncalrpc dir = ${at('run', 'ncalrpc')}
  winbindd socket directory = ${at('run', 'winbindd')}
  ntp signd socket directory = ${at('run', 'ntp_signd')}
`;
}

/** The settings the bench adds to the provisioned smb.conf's [global] (replacing earlier values). */
const LAB_KEYS = ['server services', 'krb5 port', 'kpasswd port', 'tls enabled', 'ldap server require strong auth', 'log level', 'dns forwarder'];

function withLabSettings(conf: string, ports: { kdcPort: number; kpasswdPort: number }): string {
  const kept = conf.split('\n').filter((line) => !LAB_KEYS.some((key) => new RegExp(`^\\s*${key}\\s*=`, 'i').test(line)));
  const at = kept.findIndex((line) => /^\s*\[global\]\s*$/i.test(line));
  const settings = [
    '\t# Kerberos Bench: only what the bench needs, one process (-M single), on loopback',
    '\tserver services = kdc ldap',
    `\tkrb5 port = ${ports.kdcPort}`,
    `\tkpasswd port = ${ports.kpasswdPort}`,
    '\ttls enabled = no',
    // The bench's LDAP lookups bind with the Administrator password over loopback.
    '\tldap server require strong auth = no',
    // kdc:3 logs every AS-REQ / TGS-REQ with its client, server and outcome.
    '\tlog level = 1 kerberos:3 kdc:3 auth_audit:2',
  ];
  kept.splice(at + 1, 0, ...settings);
  return kept.join('\n');
}

/** krb5.conf for MIT clients of the domain: AD's enctypes (RC4 included: accounts without msDS-SupportedEncryptionTypes get RC4 tickets). */
export function clientKrb5Conf(realm: string, kdcPort: number, kpasswdPort: number, dir: string): string {
  return labKrb5Conf({
    realm,
    title: `AD lab realm ${realm} (Samba AD DC) — written by Kerberos Bench; everything lives in ${dir}`,
    enctypes: ['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha1-96', 'arcfour-hmac'],
    realmLines: [`kdc = 127.0.0.1:${kdcPort}`, `kpasswd_server = 127.0.0.1:${kpasswdPort}`],
    domains: ['localhost', '.localhost', `.${realm.toLowerCase()}`, realm.toLowerCase()],
  });
}

// ---- helpers ---------------------------------------------------------------------------------

/** RFC 4515: the characters that must be escaped in an LDAP filter value. */
export function escapeFilter(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function randomPassword(): string {
  return `Lab-${randomBytes(18).toString('base64url')}1a`;
}

/**
 * The realm directory of a DC process of ours: a `samba` whose stdout (fd 1) is the samba.log of a
 * realm directory. (Samba rewrites its process title over argv and environ, so neither tells.)
 */
export async function dcDir(pid: number): Promise<string | null> {
  const exe = await readlink(`/proc/${pid}/exe`).catch(() => null);
  if (!exe || path.basename(exe) !== 'samba') return null;
  const out = await readlink(`/proc/${pid}/fd/1`).catch(() => null);
  return out && path.basename(out) === 'samba.log' ? path.dirname(out) : null;
}

/** Every DC of ours whose realm directory lies under `root` (orphan hunting). */
export async function dcsUnder(root: string, pids: number[]): Promise<{ pid: number; dir: string }[]> {
  const resolved = path.resolve(root);
  const prefix = resolved.endsWith(path.sep) ? resolved : resolved + path.sep;
  const found: { pid: number; dir: string }[] = [];
  for (const pid of pids) {
    const dir = await dcDir(pid);
    if (dir && path.resolve(dir).startsWith(prefix)) found.push({ pid, dir });
  }
  return found;
}

function toolOutput(run: ToolRun): string {
  return [run.error, run.stderr.trim(), run.stdout.trim()].filter(Boolean).join('\n');
}

