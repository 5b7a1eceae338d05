/**
 * A throwaway MIT Kerberos realm in one directory: krb5.conf, kdc.conf, the database and a
 * krb5kdc child process on a loopback port. Nothing under /etc is read or written: every tool
 * runs with KRB5_CONFIG / KRB5_KDC_PROFILE pointing into the directory (see env()). Needs no
 * privileges and no kadmind: principals and keytabs are made with kadmin.local.
 *
 * The TypeScript counterpart of shared/lab/lab.sh; the lab service builds on it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findExecutable, runTool, type ToolRun } from '../../system/exec';
import { fileSize, readFrom } from '../../system/files';
import { freeLoopbackPort, labKrb5Conf, RealmError, tcpConnects, type KinitSecret, type PrincipalSecret, type RealmBackend } from '../backend';

export { freeLoopbackPort, RealmError, type KinitSecret, type PrincipalSecret } from '../backend';

/** The MIT tools a realm uses and the Debian package that ships each. */
const TOOL_PACKAGES = {
  krb5kdc: 'krb5-kdc',
  kdb5_util: 'krb5-kdc',
  'kadmin.local': 'krb5-admin-server',
  kinit: 'krb5-user',
  klist: 'krb5-user',
  kvno: 'krb5-user',
} as const;
export type RealmTool = keyof typeof TOOL_PACKAGES;

/** Every enctype the bench can decode; the realm makes keys of all of them (kdc.conf). */
export const REALM_ENCTYPES = [
  'aes256-cts-hmac-sha1-96',
  'aes128-cts-hmac-sha1-96',
  'aes256-cts-hmac-sha384-192',
  'aes128-cts-hmac-sha256-128',
  'arcfour-hmac',
] as const;

const KDC_START_TIMEOUT_MS = 10_000;
const KDC_STOP_TIMEOUT_MS = 5_000;
const TOOL_TIMEOUT_MS = 15_000;

export interface MitRealmOptions {
  /** A new or empty directory; destroy() deletes it. */
  dir: string;
  realm?: string;
  /** KDC port on 127.0.0.1 (TCP and UDP); 0 picks a free one. */
  port?: number;
}


export interface KtaddEntry {
  principal: string;
  kvno: number;
  enctype: string;
}

/** KDC processes of every realm in this process, killed if the process exits without stop(). */
const runningKdcs = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackKdc(child: ChildProcess): void {
  if (!exitHookInstalled) {
    process.once('exit', () => runningKdcs.forEach((c) => c.kill('SIGKILL')));
    exitHookInstalled = true;
  }
  runningKdcs.add(child);
  child.once('exit', () => runningKdcs.delete(child));
}

export class MitRealm implements RealmBackend {
  readonly kind = 'mit' as const;
  private kdc: ChildProcess | undefined;
  /** A start() in progress, so a second caller waits for it instead of spawning a second KDC. */
  private starting: Promise<void> | undefined;
  private readonly tools = new Map<RealmTool, string>();

  private constructor(
    readonly dir: string,
    readonly realm: string,
    private kdcPort: number,
    /** The port was picked by us, so start() may pick another if someone takes it. */
    private readonly autoPort: boolean,
  ) {}

  /** Writes the configuration and creates the database (kdb5_util create -s). */
  static async create(options: MitRealmOptions): Promise<MitRealm> {
    const realmName = options.realm ?? 'BENCH.TEST';
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(realmName)) throw new RealmError('setup', `"${realmName}" is not a realm name this lab accepts (letters, digits, ".", "_", "-")`);
    const dir = path.resolve(options.dir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if ((await readdir(dir)).length > 0) throw new RealmError('setup', `${dir} is not empty: a lab realm needs a new or empty directory (destroy() deletes it)`);
    const port = options.port || (await freeLoopbackPort());
    const realm = new MitRealm(dir, realmName, port, !options.port);
    try {
      await realm.writeConfig();
      const kdb5Util = await realm.tool('kdb5_util');
      // The master password only unlocks the stash file we write next to it: random, never shown,
      // and typed at kdb5_util's prompt (stdin) rather than given with -P, which the process list shows.
      const master = randomBytes(18).toString('base64');
      const created = await runTool(kdb5Util, ['create', '-s', '-r', realmName], {
        env: realm.env(),
        timeoutMs: TOOL_TIMEOUT_MS,
        input: `${master}\n${master}\n`,
      });
      if (!created.ok) throw new RealmError('setup', `kdb5_util create failed for realm ${realmName} in ${dir}`, toolOutput(created));
    } catch (error) {
      // The directory was empty: leave it empty again rather than half a realm.
      for (const name of await readdir(dir).catch(() => [])) await rm(path.join(dir, name), { recursive: true, force: true });
      throw error;
    }
    return realm;
  }

  /**
   * An existing realm directory made by create(): the realm name and KDC port are read back from
   * its kdc.conf. The KDC is not started (and a KDC already running for it is not adopted: the lab
   * service tracks detached KDCs by their pid file).
   */
  static async open(dir: string): Promise<MitRealm> {
    const resolved = path.resolve(dir);
    const text = await readFile(path.join(resolved, 'kdc.conf'), 'utf8').catch(() => {
      throw new RealmError('setup', `${resolved} holds no lab realm (no kdc.conf)`);
    });
    const port = /^\s*kdc_listen\s*=\s*127\.0\.0\.1:(\d+)\s*$/m.exec(text)?.[1];
    const realmName = /^\[realms\]\s*\n\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*=\s*\{/m.exec(text)?.[1];
    if (!port || !realmName) throw new RealmError('setup', `${path.join(resolved, 'kdc.conf')} was not written by Kerberos Bench (no kdc_listen or realm)`);
    return new MitRealm(resolved, realmName, Number(port), true);
  }

  get port(): number {
    return this.kdcPort;
  }

  get krb5Conf(): string {
    return this.paths.krb5Conf;
  }

  /** Moves the realm to another KDC port: rewrites krb5.conf and kdc.conf (restart the KDC yourself). */
  async usePort(port: number): Promise<void> {
    if (this.kdc) throw new RealmError('setup', 'stop the KDC before moving it to another port');
    this.kdcPort = port;
    await this.writeConfig();
  }

  get running(): boolean {
    return this.kdc !== undefined;
  }

  get paths() {
    const at = (name: string) => path.join(this.dir, name);
    return {
      krb5Conf: at('krb5.conf'),
      kdcConf: at('kdc.conf'),
      database: at('principal'),
      stash: at('stash'),
      kdcLog: at('kdc.log'),
      kdcStdout: at('kdc.stdout'),
      pidFile: at('krb5kdc.pid'),
      rcacheDir: at('rcache'),
      ccache: at('default.ccache'),
      keytab: at('default.keytab'),
    };
  }

  /** Just the variables that put a process in this realm. */
  variables(): Record<string, string> {
    const p = this.paths;
    return {
      KRB5_CONFIG: p.krb5Conf,
      KRB5_KDC_PROFILE: p.kdcConf,
      KRB5RCACHEDIR: p.rcacheDir,
      // Defaults inside the lab, so a tool called without -c / -k never touches the user's own.
      KRB5CCNAME: `FILE:${p.ccache}`,
      KRB5_KTNAME: `FILE:${p.keytab}`,
    };
  }

  /** `base` (default: this process's environment) with this realm's variables on top. */
  env(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...base, ...this.variables() };
    delete env.KRB5_CLIENT_KTNAME;
    return env;
  }

  // ---- kadmin --------------------------------------------------------------------------------

  /**
   * Runs one kadmin.local query and returns its output. The query goes in on stdin, never as `-q`:
   * it may hold a password (`addprinc -pw …`), and a command line is visible to every user of the
   * machine. kadmin.local then echoes the line after its prompt on stdout; those prompt lines are
   * dropped. It exits 0 after most failures ("add_principal: Principal or policy already exists …"),
   * so any stderr line that is not one of its known notices counts as an error.
   */
  async kadmin(query: string): Promise<string> {
    if (/[\r\n]/.test(query)) throw new RealmError('kadmin', 'a kadmin query is one line');
    const run = await runTool(await this.tool('kadmin.local'), ['-r', this.realm], { env: this.env(), timeoutMs: TOOL_TIMEOUT_MS, input: `${query}\n` });
    const errors = run.stderr.split('\n').filter((line) => line.trim() !== '' && !KADMIN_NOTICES.some((notice) => notice.test(line)));
    if (!run.ok || errors.length > 0) {
      throw new RealmError('kadmin', `kadmin.local "${redact(query)}" failed: ${errors.join('; ') || run.error || `exit code ${run.code}`}`);
    }
    return withoutPrompts(run.stdout);
  }

  async addPrincipal(name: string, secret: PrincipalSecret, options: { enctypes?: readonly string[] } = {}): Promise<void> {
    await this.kadmin(['addprinc', ...secretArgs(secret), ...enctypeArgs(options.enctypes), quote(name)].join(' '));
  }

  /** New keys for an existing principal (kvno + 1); `keepold` keeps the previous ones too. */
  async changeKey(name: string, secret: PrincipalSecret, options: { enctypes?: readonly string[]; keepold?: boolean } = {}): Promise<void> {
    const keepold = options.keepold ? ['-keepold'] : [];
    await this.kadmin(['cpw', ...secretArgs(secret), ...keepold, ...enctypeArgs(options.enctypes), quote(name)].join(' '));
  }

  /**
   * Writes the principal's keys to a keytab (appending). Without `norandkey` this re-randomises
   * the keys (kvno + 1), like kadmin ktadd; `norandkey` exports the current keys (a user's
   * password keys) and cannot be combined with `enctypes` (MIT refuses).
   */
  async ktadd(keytabPath: string, principal: string, options: { norandkey?: boolean; enctypes?: readonly string[] } = {}): Promise<KtaddEntry[]> {
    if (options.norandkey && options.enctypes) throw new RealmError('kadmin', 'ktadd -norandkey cannot take enctypes: MIT only filters keys it makes (cannot specify keysaltlist when not changing key)');
    const args = ['ktadd', '-k', quote(path.resolve(keytabPath)), ...(options.norandkey ? ['-norandkey'] : []), ...enctypeArgs(options.enctypes), quote(principal)];
    const out = await this.kadmin(args.join(' '));
    return [...out.matchAll(/^Entry for principal (.+) with kvno (\d+), encryption type (\S+) added to keytab/gm)].map((m) => ({
      principal: /(^|[^\\])@/.test(m[1]!) ? m[1]! : `${m[1]}@${this.realm}`, // kadmin echoes the name as typed
      kvno: Number(m[2]),
      enctype: m[3]!,
    }));
  }

  async exportKeys(keytabPath: string, principal: string): Promise<void> {
    await this.ktadd(keytabPath, principal, { norandkey: true });
  }

  // ---- KDC -----------------------------------------------------------------------------------

  /** Starts krb5kdc and resolves once it answers Kerberos requests (at most 10 s). */
  async start(): Promise<void> {
    if (this.kdc) return;
    this.starting ??= this.startWithRetries().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async startWithRetries(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startOnce();
        return;
      } catch (error) {
        // A port we picked can be taken by someone else before the KDC binds it: pick again.
        const portTaken = error instanceof RealmError && /Address already in use/.test(error.detail ?? '');
        if (!portTaken || !this.autoPort || attempt >= 3) throw error;
        this.kdcPort = await freeLoopbackPort();
        await this.writeConfig();
      }
    }
  }

  private async startOnce(): Promise<void> {
    const krb5kdc = await this.tool('krb5kdc');
    const p = this.paths;
    await rm(p.pidFile, { force: true });
    const logStart = await fileSize(p.kdcLog);
    const output = await open(p.kdcStdout, 'a');
    let child: ChildProcess;
    try {
      // -n: stay in the foreground (we own the process); -P: pid file for outside tools.
      child = spawn(krb5kdc, ['-n', '-r', this.realm, '-P', p.pidFile], { env: this.env(), stdio: ['ignore', output.fd, output.fd] });
    } finally {
      await output.close();
    }
    let exit: string | undefined;
    const exited = new Promise<false>((resolve) => {
      const ended = (reason: string) => {
        exit = reason;
        resolve(false);
      };
      child.once('exit', (code, signal) => ended(signal ? `killed by ${signal}` : `exit code ${code}`));
      child.once('error', (error) => ended(error.message));
    });
    trackKdc(child);
    const deadline = Date.now() + KDC_START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (exit) throw await this.kdcFailure(`krb5kdc stopped before answering (${exit})`, logStart);
      // Whatever else listens on the port would keep the probe waiting; the KDC's exit ends it.
      if (await Promise.race([this.answers(), exited])) {
        this.kdc = child;
        child.once('exit', () => {
          if (this.kdc === child) this.kdc = undefined; // crashed or killed from outside
        });
        return;
      }
      await sleep(20);
    }
    await stopProcess(child);
    throw await this.kdcFailure(`krb5kdc did not answer on 127.0.0.1:${this.kdcPort} within ${KDC_START_TIMEOUT_MS / 1000} s`, logStart);
  }

  /**
   * The KDC is ready when an AS-REQ for a principal that does not exist comes back with "not
   * found": that proves our realm's KDC answered on the port, not some other listener.
   */
  private async answers(): Promise<boolean> {
    if (!(await tcpConnects(this.kdcPort))) return false;
    const probe = `kbench-probe-${randomBytes(4).toString('hex')}@${this.realm}`;
    const run = await runTool(await this.tool('kinit'), ['-c', `FILE:${path.join(this.dir, 'probe.ccache')}`, probe], { env: this.env(), timeoutMs: 3000 });
    return /not found in Kerberos database/.test(run.stderr);
  }

  private async kdcFailure(message: string, logStart: number): Promise<RealmError> {
    const log = (await readFrom(this.paths.kdcLog, logStart)) + (await readFrom(this.paths.kdcStdout, 0));
    const excerpt = log.trim().split('\n').slice(-15).join('\n');
    return new RealmError('kdc-start', message, excerpt ? `KDC log (${this.paths.kdcLog}):\n${excerpt}` : 'the KDC wrote no log');
  }

  /** Stops the KDC (SIGTERM, then SIGKILL after 5 s). Safe to call when it is not running. */
  async stop(): Promise<void> {
    const child = this.kdc;
    this.kdc = undefined;
    if (child) await stopProcess(child);
    await rm(this.paths.pidFile, { force: true });
  }

  /** Stops the KDC and deletes the whole directory. */
  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  // ---- clients -------------------------------------------------------------------------------

  /** kinit with a password (fed on stdin) or a keytab; returns the ccache path. */
  async kinit(principal: string, secret: KinitSecret, options: { ccache?: string; lifetime?: string; forwardable?: boolean } = {}): Promise<string> {
    const ccache = path.resolve((options.ccache ?? path.join(this.dir, `${principal.replace(/[^\w.-]+/g, '_')}.ccache`)).replace(/^FILE:/, ''));
    const args = ['-c', `FILE:${ccache}`];
    if (options.lifetime) args.push('-l', options.lifetime);
    if (options.forwardable !== undefined) args.push(options.forwardable ? '-f' : '-F');
    if ('keytab' in secret) args.push('-k', '-t', path.resolve(secret.keytab));
    args.push(principal);
    const input = 'password' in secret ? `${secret.password}\n` : '';
    const run = await runTool(await this.tool('kinit'), args, { env: this.env(), timeoutMs: TOOL_TIMEOUT_MS, input });
    if (!run.ok) throw new RealmError('kinit', `kinit ${principal} failed`, toolOutput(run).replace(/^Password for \S+: ?/m, ''));
    return ccache;
  }

  /**
   * True when this realm's KDC answers on its port: an AS-REQ for a principal that does not exist
   * comes back "not found in Kerberos database" (the KDC logs it as CLIENT_NOT_FOUND).
   */
  async kdcAnswers(): Promise<boolean> {
    return this.answers();
  }

  /** The absolute path of an MIT tool; RealmError 'tool-missing' names its Debian package. */
  async toolPath(name: RealmTool): Promise<string> {
    return this.tool(name);
  }

  // ---- internals -----------------------------------------------------------------------------

  private async tool(name: RealmTool): Promise<string> {
    const known = this.tools.get(name);
    if (known) return known;
    const found = await findExecutable(name);
    if (!found) {
      const pkg = TOOL_PACKAGES[name];
      throw new RealmError('tool-missing', `${name} not found: install the Debian package ${pkg} (sudo apt-get install -y ${pkg})`);
    }
    this.tools.set(name, found);
    return found;
  }

  private async writeConfig(): Promise<void> {
    const p = this.paths;
    await mkdir(p.rcacheDir, { recursive: true, mode: 0o700 });
    await writeFile(p.krb5Conf, krb5Conf(this.realm, this.kdcPort, this.dir));
    await writeFile(p.kdcConf, kdcConf(this.realm, this.kdcPort, this.dir));
    await writeFile(path.join(this.dir, 'kadm5.acl'), `*/admin@${this.realm} *\n`);
  }
}

// ---- configuration ---------------------------------------------------------------------------

function krb5Conf(realm: string, port: number, dir: string): string {
  return labKrb5Conf({
    realm,
    title: `Lab realm ${realm} — written by Kerberos Bench; everything lives in ${dir}`,
    enctypes: REALM_ENCTYPES,
    realmLines: [`kdc = 127.0.0.1:${port}`, `primary_kdc = 127.0.0.1:${port}`],
    domains: ['localhost', '.localhost'],
    logFile: path.join(dir, 'krb5lib.log'),
  });
}

function kdcConf(realm: string, port: number, dir: string): string {
  const at = (name: string) => path.join(dir, name);
  return `# Lab realm ${realm} — written by Kerberos Bench
[kdcdefaults]
  kdc_listen = 127.0.0.1:${port}
  kdc_tcp_listen = 127.0.0.1:${port}
[realms]
  ${realm} = {
    database_name = ${at('principal')}
    key_stash_file = ${at('stash')}
    acl_file = ${at('kadm5.acl')}
    default_principal_flags = +preauth
    max_life = 10h
    max_renewable_life = 1d
    master_key_type = aes256-cts-hmac-sha1-96
    supported_enctypes = ${REALM_ENCTYPES.map((e) => `${e}:normal`).join(' ')}
  }
[logging]
  kdc = FILE:${at('kdc.log')}
  admin_server = FILE:${at('kadmind.log')}
  default = FILE:${at('kdc.log')}
`;
}

// ---- kadmin query text -----------------------------------------------------------------------

/** stderr lines kadmin.local prints on success. */
const KADMIN_NOTICES = [/^Authenticating as principal /, /^No policy specified for .*; defaulting to no policy$/, /^WARNING: no policy specified/];

/** Quotes an argument for kadmin's line parser (MIT ss: "…" groups, "" is a literal quote). */
function quote(arg: string): string {
  if (/[\r\n]/.test(arg)) throw new RealmError('kadmin', 'kadmin arguments cannot contain line breaks');
  return /^[\w@./:,=+-]+$/.test(arg) ? arg : `"${arg.replace(/"/g, '""')}"`;
}

function secretArgs(secret: PrincipalSecret): string[] {
  return 'password' in secret ? ['-pw', quote(secret.password)] : ['-randkey'];
}

/** kadmin -e wants "enctype:salt" pairs; a bare enctype gets the normal salt. */
function enctypeArgs(enctypes: readonly string[] | undefined): string[] {
  if (!enctypes) return [];
  if (enctypes.length === 0) throw new RealmError('kadmin', 'the enctype list is empty');
  return ['-e', quote(enctypes.map((e) => (e.includes(':') ? e : `${e}:normal`)).join(','))];
}

/** kadmin.local's output without its prompt lines ("kadmin.local:  <the query as typed>"). */
function withoutPrompts(stdout: string): string {
  return stdout
    .split('\n')
    .filter((line) => !line.startsWith('kadmin.local:'))
    .join('\n');
}

/** Passwords never reach error messages. */
function redact(query: string): string {
  return query.replace(/(-pw\s+)("(?:[^"]|"")*"|\S+)/g, '$1***');
}

// ---- processes, ports, files -----------------------------------------------------------------

function toolOutput(run: ToolRun): string {
  return [run.error, run.stderr.trim(), run.stdout.trim()].filter(Boolean).join('\n');
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), KDC_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
