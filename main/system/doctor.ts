import { access, constants, readFile, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DoctorItem, DoctorLevel, DoctorStatus } from '../api/system';
import { findJdk, JDK_PACKAGE, type JdkTool } from '../gss/java/launcher';
import { TYPESAFE_CONFIG_PACKAGE, typesafeConfigJar } from '../export/hocon';
import { adLabFacts, adLabFinding } from './ad-lab-check';
import { findChromium } from './chromium';
import { findElectronRuntime } from './electron-runtime';
import { findExecutable, runTool } from './exec';
import { probeKerberosBinding } from './kerberos-binding';
import { loadKrb5Environment, locationFilePath, type Krb5Environment, type Krb5Location } from './krb5-env';
import { isSampleRealm, SAMPLE_REALM_FIX } from './sample-realm';

/** What a check returns; the doctor adds id, title, level and status from the check's definition. */
type Finding = Omit<DoctorItem, 'id' | 'title' | 'level' | 'status'>;

/** One status for the UI and the CLI: a failing required check fails, anything else that is not ok warns. */
export function doctorStatus(ok: boolean, level: DoctorLevel): DoctorStatus {
  if (ok) return 'ok';
  return level === 'required' ? 'fail' : 'warn';
}

export interface DoctorCheck {
  id: string;
  title: string;
  level: DoctorLevel;
  run(context: DoctorContext): Promise<Finding>;
}

/** Lazily computed facts several checks share: each is computed once per doctor run. */
export class DoctorContext {
  private krb5EnvPromise?: Promise<Krb5Environment>;
  private mitBrandPromise?: Promise<{ version: string; library: string } | null>;

  constructor(
    readonly env: NodeJS.ProcessEnv = process.env,
    readonly electronVersion: string | null = null,
  ) {}

  krb5Environment(): Promise<Krb5Environment> {
    return (this.krb5EnvPromise ??= loadKrb5Environment(this.env));
  }

  /** The MIT release compiled into libkrb5 (its KRB5_BRAND string), e.g. "1.20.1". */
  mitRelease(): Promise<{ version: string; library: string } | null> {
    return (this.mitBrandPromise ??= readMitBrand());
  }
}

export const MIN_NODE = '20.19.0';

/** A fix is something to run or do; for packages, the exact command (./scripts/setup.sh does the same). */
const apt = (...packages: string[]): string => `sudo apt-get install -y ${packages.join(' ')}`;

/** Library directories where Debian, Ubuntu, Fedora and friends put shared objects. */
const LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib'];

async function findLibrary(soname: string): Promise<string | null> {
  const cache = await runTool('/sbin/ldconfig', ['-p'], { timeoutMs: 3000 });
  if (cache.ok) {
    const line = cache.stdout.split('\n').find((l) => l.trim().startsWith(`${soname} `));
    const found = line?.split('=>')[1]?.trim();
    if (found) return found;
  }
  for (const dir of LIB_DIRS) {
    try {
      await access(path.join(dir, soname), constants.R_OK);
      return path.join(dir, soname);
    } catch {
      // keep looking
    }
  }
  return null;
}

async function readMitBrand(): Promise<{ version: string; library: string } | null> {
  const library = await findLibrary('libkrb5.so.3');
  if (!library) return null;
  try {
    const bytes = await readFile(library);
    const brand = /KRB5_BRAND: krb5-([0-9][0-9A-Za-z.-]*)/.exec(bytes.toString('latin1'));
    return { version: brand?.[1]?.replace(/-final$/, '') ?? 'unknown', library };
  } catch {
    return { version: 'unknown', library };
  }
}

/** dpkg-query reads the whole package database: a dozen of them at once on a busy 2-core machine take seconds. */
const DPKG_TIMEOUT_MS = 10_000;

/** Debian package that owns a file and its version, e.g. "krb5-kdc 1.20.1-2+deb12u5". */
async function owningPackage(file: string): Promise<string | null> {
  const owner = await runTool('dpkg-query', ['-S', await realpath(file).catch(() => file)], { timeoutMs: DPKG_TIMEOUT_MS });
  const name = owner.ok ? owner.stdout.split(':')[0]?.trim() : undefined;
  if (!name) return null;
  const version = await runTool('dpkg-query', ['-W', '-f=${Version}', name], { timeoutMs: DPKG_TIMEOUT_MS });
  return version.ok ? `${name} ${version.stdout.trim()}` : name;
}

/** A check that an MIT command-line tool is installed. Versions come from the package or libkrb5. */
function mitTool(id: string, title: string, packageName: string, level: DoctorLevel = 'required'): DoctorCheck {
  return {
    id,
    title,
    level,
    async run(context) {
      const found = await findExecutable(id, context.env);
      if (!found) return { ok: false, detail: `${id} not found on PATH or in /usr/sbin`, fix: apt(packageName) };
      const [pkg, mit] = await Promise.all([owningPackage(found), context.mitRelease()]);
      const version = mit?.version;
      return {
        ok: true,
        detail: `${found}${version ? ` — MIT krb5 ${version}` : ''}${pkg ? ` (package ${pkg})` : ''}`,
        fix: '',
        path: found,
        ...(version ? { version } : {}),
      };
    },
  };
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

async function fileState(file: string): Promise<string> {
  try {
    const info = await stat(file);
    await access(file, constants.R_OK).catch(() => {
      throw new Error('not readable by this user');
    });
    return `${info.size} bytes, modified ${info.mtime.toISOString()}`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : (error as Error).message;
  }
}

/**
 * An informational check of where MIT will look for a ccache or keytab, and whether it is there:
 * a file that is missing or unreadable is not ok (a warning: the level is info), and says where it
 * looked. Non-file ccaches (KEYRING:, KCM:) are asked with klist, which can read them.
 */
function krb5Location(id: string, title: string, which: 'ccache' | 'keytab', fixWhenMissing: string): DoctorCheck {
  return {
    id,
    title,
    level: 'info',
    async run(context) {
      const location = (await context.krb5Environment())[which];
      const file = locationFilePath(location.name);
      if (!file) return which === 'ccache' ? klistCcache(location, context.env, fixWhenMissing) : { ok: true, detail: `${location.name} (from ${location.source}): not a file keytab; klist -k inspects it`, fix: '' };
      const state = await fileState(file);
      const ok = state !== 'does not exist' && state !== 'not readable by this user';
      return {
        ok,
        detail: ok ? `${location.name} (from ${location.source}): ${state}` : `${file} ${state} (${location.name}, from ${location.source})`,
        fix: ok ? '' : state === 'does not exist' ? fixWhenMissing : `Let this user read ${file}, or point ${which === 'ccache' ? 'KRB5CCNAME' : 'KRB5_KTNAME'} at one it may read`,
        path: file,
      };
    },
  };
}

/** A KEYRING:/KCM:/API: ccache: klist says whether it exists (exit 1 with "No credentials cache found"). */
async function klistCcache(location: Krb5Location, env: NodeJS.ProcessEnv, fixWhenMissing: string): Promise<Finding> {
  const klist = await findExecutable('klist', env);
  if (!klist) return { ok: false, detail: `${location.name} (from ${location.source}) is not a file, and klist (which reads it) is not installed`, fix: apt('krb5-user') };
  const run = await runTool(klist, [], { env: { ...env, KRB5CCNAME: location.name }, timeoutMs: 3000 });
  const principal = /^Default principal: (.+)$/m.exec(run.stdout)?.[1]?.trim();
  if (principal) return { ok: true, detail: `${location.name} (from ${location.source}): tickets of ${principal} (klist)`, fix: '' };
  const why = (run.stderr.trim() || run.error || 'no cache').split('\n')[0]!;
  return { ok: false, detail: `${location.name} (from ${location.source}): ${why}`, fix: fixWhenMissing };
}

export const doctorChecks: DoctorCheck[] = [
  {
    id: 'krb5-library',
    title: 'MIT Kerberos library (libkrb5, libgssapi_krb5)',
    level: 'required',
    async run(context) {
      const [mit, gssapi] = await Promise.all([context.mitRelease(), findLibrary('libgssapi_krb5.so.2')]);
      if (!mit || !gssapi) {
        const missing = [!mit && 'libkrb5.so.3', !gssapi && 'libgssapi_krb5.so.2'].filter(Boolean).join(' and ');
        return { ok: false, detail: `${missing} not found by ldconfig`, fix: apt('libkrb5-3', 'libgssapi-krb5-2', 'libkrb5-dev') };
      }
      return { ok: true, detail: `MIT krb5 ${mit.version}: ${mit.library}, ${gssapi}`, fix: '', version: mit.version, path: gssapi };
    },
  },
  {
    id: 'kerberos-binding',
    title: 'kerberos npm binding (GSSAPI from Node)',
    level: 'required',
    async run() {
      const status = await probeKerberosBinding();
      if (!status.loads) return { ok: false, detail: `does not load: ${status.error}`, fix: status.fix ?? '' };
      return {
        ok: true,
        detail: `kerberos ${status.version} loads${status.library ? ` and uses ${status.library}` : ''}`,
        fix: '',
        ...(status.version ? { version: status.version } : {}),
        ...(status.library ? { path: status.library } : {}),
      };
    },
  },
  mitTool('krb5kdc', 'MIT KDC (krb5kdc)', 'krb5-kdc'),
  mitTool('kdb5_util', 'KDC database tool (kdb5_util)', 'krb5-kdc'),
  mitTool('kadmin.local', 'Local admin (kadmin.local)', 'krb5-admin-server'),
  mitTool('kinit', 'kinit', 'krb5-user'),
  mitTool('klist', 'klist', 'krb5-user'),
  mitTool('kvno', 'kvno', 'krb5-user'),
  {
    id: 'cyrus-sasl-gssapi',
    title: 'Cyrus SASL GSSAPI plugin (what EMQX uses)',
    level: 'recommended',
    async run() {
      const dirs = ['/usr/lib/sasl2', '/usr/lib64/sasl2', '/usr/local/lib/sasl2'];
      for (const base of ['/lib', '/usr/lib']) {
        for (const entry of await readdir(base).catch(() => [] as string[])) {
          if (entry.endsWith('-linux-gnu')) dirs.unshift(path.join(base, entry, 'sasl2'));
        }
      }
      for (const dir of dirs) {
        const plugin = (await readdir(dir).catch(() => [] as string[])).find((f) => /^libgssapiv2\.so/.test(f));
        if (plugin) {
          const file = path.join(dir, plugin);
          const pkg = await owningPackage(file);
          return { ok: true, detail: `${file}${pkg ? ` (package ${pkg})` : ''}`, fix: '', path: file };
        }
      }
      return { ok: false, detail: 'libgssapiv2.so not found in any sasl2 plugin directory', fix: apt('libsasl2-modules-gssapi-mit') };
    },
  },
  {
    id: 'cyrus-sasl-samples',
    title: 'Cyrus SASL sample peers (sasl-sample-server/-client)',
    level: 'recommended',
    async run(context) {
      const [server, client] = await Promise.all([
        findExecutable('sasl-sample-server', context.env),
        findExecutable('sasl-sample-client', context.env),
      ]);
      if (!server || !client) return { ok: false, detail: 'sasl-sample-server / sasl-sample-client not found', fix: apt('sasl2-bin') };
      return { ok: true, detail: `${server}, ${client}`, fix: '', path: server };
    },
  },
  {
    id: 'jdk',
    title: 'JDK (the Java engine: java and javac)',
    level: 'recommended',
    async run(context) {
      const jdk = await findJdk(context.env);
      const describe = (name: string, tool: JdkTool | null) => (tool ? `${name} ${tool.version ?? '(version unknown)'} at ${tool.path}` : `no ${name}`);
      const detail = `${describe('java', jdk.java)}; ${describe('javac', jdk.javac)} (looked in ${jdk.searched})`;
      if (!jdk.java || !jdk.javac) {
        return { ok: false, detail: `${detail}: profiles on the Java engine need both (javac compiles the worker once)`, fix: apt(JDK_PACKAGE), ...(jdk.java ? { path: jdk.java.path } : {}) };
      }
      return { ok: true, detail, fix: '', path: jdk.java.path, ...(jdk.java.version ? { version: jdk.java.version } : {}) };
    },
  },
  {
    id: 'hocon',
    title: 'com.typesafe.config (proves EMQX exports, reads EMQX imports)',
    level: 'recommended',
    async run(context) {
      const jar = typesafeConfigJar(context.env);
      const real = await realpath(jar).catch(() => null);
      if (!real) return { ok: false, detail: `no ${jar}: EMQX's HOCON is checked by the reference parser on the Java engine`, fix: apt(TYPESAFE_CONFIG_PACKAGE) };
      const version = /-(\d[\w.]*)\.jar$/.exec(path.basename(real))?.[1];
      return { ok: true, detail: `${jar}${real !== jar ? ` → ${real}` : ''} (the JDK check above runs it)`, fix: '', path: real, ...(version ? { version } : {}) };
    },
  },
  {
    id: 'ad-lab',
    title: 'AD lab (Samba AD DC: kbench lab up --kind ad)',
    level: 'recommended',
    async run(context) {
      return adLabFinding(await adLabFacts(context.env));
    },
  },
  {
    id: 'tshark',
    title: 'tshark (capture decoding)',
    level: 'recommended',
    async run(context) {
      const found = await findExecutable('tshark', context.env);
      if (!found) return { ok: false, detail: 'tshark not found', fix: apt('tshark') };
      const run = await runTool(found, ['--version'], { timeoutMs: 10_000 });
      const version = /TShark \(Wireshark\) ([\d.]+)/.exec(run.stdout)?.[1];
      if (!run.ok) return { ok: false, detail: `${found} does not run: ${run.error ?? run.stderr.trim()}`, fix: apt('tshark') };
      return { ok: true, detail: `${found} — TShark ${version ?? '(version unknown)'}`, fix: '', path: found, ...(version ? { version } : {}) };
    },
  },
  {
    id: 'chromium',
    title: 'Chromium (web mode tests and headless UI)',
    level: 'recommended',
    async run(context) {
      const found = await findChromium(context.env);
      if (!found) return { ok: false, detail: 'no chromium, chromium-browser or google-chrome found', fix: apt('chromium') };
      const run = await runTool(found, ['--version'], { timeoutMs: 15_000 });
      const version = /(\d+\.\d+\.\d+\.\d+)/.exec(run.stdout)?.[1];
      if (!version) return { ok: false, detail: `${found} did not report a version: ${run.error ?? run.stderr.trim().slice(0, 200)}`, fix: apt('chromium') };
      return { ok: true, detail: `${found} — ${run.stdout.trim()}`, fix: '', path: found, version };
    },
  },
  {
    id: 'krb5-config',
    title: 'Kerberos configuration (KRB5_CONFIG)',
    level: 'recommended',
    async run(context) {
      const krb5 = await context.krb5Environment();
      const origin = krb5.krb5ConfigVar ? `KRB5_CONFIG=${krb5.krb5ConfigVar}` : 'KRB5_CONFIG unset, MIT default /etc/krb5.conf';
      const files = krb5.files.map((f) => `${f.path}${f.exists ? '' : ' (missing)'}${f.includedFrom ? ` (included)` : ''}`);
      const problems = krb5.profiles.flatMap((p) => p.problems.map((x) => `${p.source}:${x.line}: ${x.message}`));
      const readable = krb5.files.some((f) => f.exists && !f.error);
      return {
        ok: readable && problems.length === 0,
        detail: `${origin}; read: ${files.join(', ') || 'nothing'}${problems.length ? `; problems: ${problems.join('; ')}` : ''}`,
        fix: readable ? (problems.length ? 'Fix the lines named above' : '') : 'Create /etc/krb5.conf (sudo apt-get install -y krb5-config) or point KRB5_CONFIG at one; the bench lab realm brings its own',
        ...(krb5.files[0] ? { path: krb5.files[0].path } : {}),
      };
    },
  },
  {
    id: 'default-realm',
    title: 'Default realm (default_realm in krb5.conf)',
    level: 'recommended',
    async run(context) {
      const krb5 = await context.krb5Environment();
      if (!krb5.defaultRealm) {
        return { ok: false, detail: 'no default_realm in [libdefaults]', fix: 'Add "default_realm = YOUR.REALM" under [libdefaults] in krb5.conf' };
      }
      if (isSampleRealm(krb5.defaultRealm)) {
        const file = krb5.files.find((f) => f.exists)?.path ?? 'krb5.conf';
        return {
          ok: false,
          detail: `${krb5.defaultRealm}: the sample ${file} Debian's krb5-config package installs (MIT's campus realm, not yours): names without @REALM go to kerberos.mit.edu and fail`,
          fix: SAMPLE_REALM_FIX,
        };
      }
      return { ok: true, detail: krb5.defaultRealm, fix: '' };
    },
  },
  krb5Location('krb5-ccache', 'Credential cache (KRB5CCNAME)', 'ccache', 'No tickets yet: kinit YOUR_PRINCIPAL (for the lab realm: eval "$(kbench lab up --env)" gets alice\'s TGT)'),
  krb5Location('krb5-keytab', 'Service keytab (KRB5_KTNAME)', 'keytab', 'Services (EMQX, the bench broker) read this keytab: export KRB5_KTNAME=FILE:/path/to/service.keytab'),
  {
    id: 'node',
    title: 'Node.js',
    level: 'required',
    async run() {
      const version = process.versions.node;
      const ok = compareVersions(version, MIN_NODE) >= 0;
      return {
        ok,
        detail: `Node ${version} (${process.execPath})`,
        fix: ok ? '' : `Kerberos Bench needs Node ${MIN_NODE} or newer`,
        version,
      };
    },
  },
  {
    id: 'electron',
    title: 'Electron runtime (desktop window)',
    level: 'info',
    async run(context) {
      if (context.electronVersion) return { ok: true, detail: `running inside Electron ${context.electronVersion}`, fix: '', version: context.electronVersion };
      const runtime = findElectronRuntime();
      if (runtime.binary) {
        return { ok: true, detail: `Electron ${runtime.packageVersion} at ${runtime.binary} (not running in it now)`, fix: '', version: runtime.packageVersion ?? '', path: runtime.binary };
      }
      return {
        ok: false,
        detail: `${runtime.missingReason}; the bench runs in web mode instead (downloading the runtime needs internet)`,
        fix: runtime.packageVersion ? 'node node_modules/electron/install.js' : 'npm ci',
        ...(runtime.packageVersion ? { version: runtime.packageVersion } : {}),
      };
    },
  },
];

/** Runs every check (concurrently), reporting each as it finishes, and returns them in catalog order. */
export async function runDoctor(
  context: DoctorContext,
  onItem: (item: DoctorItem, done: number, total: number) => void = () => {},
  checks: readonly DoctorCheck[] = doctorChecks,
): Promise<DoctorItem[]> {
  let done = 0;
  return Promise.all(
    checks.map(async (check) => {
      let finding: Finding;
      try {
        finding = await check.run(context);
      } catch (error) {
        finding = { ok: false, detail: `check failed: ${(error as Error).message}`, fix: 'Please report this as a bug' };
      }
      const item: DoctorItem = { id: check.id, title: check.title, level: check.level, status: doctorStatus(finding.ok, check.level), ...finding };
      onItem(item, ++done, checks.length);
      return item;
    }),
  );
}
