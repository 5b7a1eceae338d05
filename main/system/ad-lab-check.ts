/**
 * The doctor's check of what the AD lab (`kbench lab up --kind ad`) needs: Samba's DC and tools
 * (samba; samba-tool from samba-common-bin; ldbsearch and ldbmodify from ldb-tools; the DC's
 * directory modules and provisioning data), libfaketime for clock offsets, root (the DC binds
 * LDAP on 127.0.0.1:389, a privileged port Samba does not let us move), and that port free — or
 * held by a DC of the lab itself, which `kbench lab down --kind ad` stops.
 *
 * The facts are gathered by adLabFacts and judged by adLabFinding (pure: unit-tested with made-up
 * facts), so every combination of missing parts has one wording.
 */
import { access, constants, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { DoctorItem } from '../api/system';
import { dcDir, FAKETIME_LIBRARY } from '../lab/samba/realm';
import { findExecutable, runTool } from './exec';

/** LDAP on a Samba DC: fixed. */
const LDAP_PORT = 389;

/** What the AD lab installs, as scripts/setup.sh does (--no-install-recommends keeps it small). */
export const AD_LAB_PACKAGES = ['samba', 'samba-dsdb-modules', 'samba-ad-provision', 'samba-vfs-modules', 'winbind', 'ldb-tools', 'libfaketime'];
export const AD_LAB_INSTALL = `sudo apt-get install -y --no-install-recommends ${AD_LAB_PACKAGES.join(' ')}`;
const AD_LAB_FIX = `As root: sudo scripts/setup.sh, or ${AD_LAB_INSTALL}`;

/** Who listens on 127.0.0.1:389. */
export type LdapHolder =
  | { state: 'free' }
  | { state: 'lab'; pid: number; dir: string }
  | { state: 'other'; pid: number | null; name: string | null };

export interface AdLabFacts {
  platform: NodeJS.Platform;
  root: boolean;
  /** What is there: name → path. */
  found: Record<string, string>;
  /** What is not, with the Debian package that ships it. */
  missing: { what: string; pkg: string }[];
  /** "4.17.12-Debian" from samba --version, null when unknown. */
  sambaVersion: string | null;
  ldap: LdapHolder;
}

type Finding = Omit<DoctorItem, 'id' | 'title' | 'level' | 'status'>;

/** The finding for a set of facts: every problem named, and what to run. */
export function adLabFinding(facts: AdLabFacts): Finding {
  if (facts.platform !== 'linux') return { ok: false, detail: `the AD lab runs a Samba AD DC, on Linux only (this is ${facts.platform})`, fix: 'Use the MIT lab realm (kbench lab up), or run the bench on Debian or Ubuntu for the AD lab' };
  const problems: string[] = [];
  const fixes: string[] = [];
  if (facts.missing.length) {
    problems.push(`missing: ${facts.missing.map((m) => `${m.what} (package ${m.pkg})`).join(', ')}`);
    fixes.push(AD_LAB_FIX);
  }
  if (!facts.root) {
    problems.push('not running as root: Samba\'s AD DC binds LDAP on 127.0.0.1:389 and runs as root');
    fixes.push('Run the bench as root for the AD lab (sudo -E npx kbench lab up --kind ad)');
  }
  if (facts.ldap.state === 'other') {
    const who = facts.ldap.pid ? `${facts.ldap.name ?? 'a process'} (pid ${facts.ldap.pid})` : 'another program';
    problems.push(`127.0.0.1:${LDAP_PORT} (LDAP) is held by ${who}: a DC needs it, and Samba cannot move it`);
    fixes.push(`Stop what listens on port ${LDAP_PORT} (a system Samba DC or slapd: sudo systemctl stop samba-ad-dc slapd)`);
  }
  const have = ['samba', 'samba-tool', 'ldbsearch', 'ldbmodify', 'libfaketime'].filter((name) => facts.found[name]).join(', ');
  const ldap =
    facts.ldap.state === 'free'
      ? `127.0.0.1:${LDAP_PORT} free`
      : facts.ldap.state === 'lab'
        ? `127.0.0.1:${LDAP_PORT} held by the AD lab DC of ${facts.ldap.dir} (pid ${facts.ldap.pid}; one AD lab at a time)`
        : '';
  const version = facts.sambaVersion ? `Samba ${facts.sambaVersion}` : null;
  const found = [version, have && `found ${have}`, facts.root ? 'running as root' : null, ldap || null].filter(Boolean).join('; ');
  if (problems.length) return { ok: false, detail: [...problems, found].filter(Boolean).join('; '), fix: fixes.join('. Then: '), ...(facts.sambaVersion ? { version: facts.sambaVersion } : {}) };
  return { ok: true, detail: found, fix: '', ...(facts.sambaVersion ? { version: facts.sambaVersion } : {}), ...(facts.found.samba ? { path: facts.found.samba } : {}) };
}

/** Library directories where Debian puts Samba's LDB modules. */
const SAMBA_LDB_DIRS = ['/usr/lib/x86_64-linux-gnu/samba/ldb', '/usr/lib/aarch64-linux-gnu/samba/ldb', '/usr/lib64/samba/ldb', '/usr/lib/samba/ldb'];

async function firstReadable(files: string[]): Promise<string | null> {
  for (const file of files) {
    if (await access(file, constants.R_OK).then(() => true, () => false)) return file;
  }
  return null;
}

export async function adLabFacts(env: NodeJS.ProcessEnv = process.env): Promise<AdLabFacts> {
  const found: Record<string, string> = {};
  const missing: { what: string; pkg: string }[] = [];
  const tools = [
    ['samba', 'samba'],
    ['samba-tool', 'samba-common-bin'],
    ['ldbsearch', 'ldb-tools'],
    ['ldbmodify', 'ldb-tools'],
  ] as const;
  const files = [
    ['samba_dsdb.so', 'samba-dsdb-modules', SAMBA_LDB_DIRS.map((d) => path.join(d, 'samba_dsdb.so'))],
    ['provisioning data (/usr/share/samba/setup)', 'samba-ad-provision', ['/usr/share/samba/setup/provision.ldif']],
    ['libfaketime', 'libfaketime', [FAKETIME_LIBRARY]],
  ] as const;
  const [tooled, filed, ldap] = await Promise.all([
    Promise.all(tools.map(async ([name]) => findExecutable(name, env))),
    Promise.all(files.map(async ([, , candidates]) => firstReadable([...candidates]))),
    ldapPortHolder(),
  ]);
  tools.forEach(([name, pkg], i) => (tooled[i] ? (found[name] = tooled[i]!) : missing.push({ what: name, pkg })));
  files.forEach(([name, pkg], i) => (filed[i] ? (found[name] = filed[i]!) : missing.push({ what: name, pkg })));
  let sambaVersion: string | null = null;
  if (found.samba) {
    const run = await runTool(found.samba, ['--version'], { timeoutMs: 5000 });
    sambaVersion = /Version\s+(\S+)/.exec(run.stdout)?.[1] ?? null;
  }
  return { platform: process.platform, root: process.getuid?.() === 0, found, missing, sambaVersion, ldap };
}

/** Socket inodes listening on a TCP port (IPv4 and IPv6), from /proc/net/tcp{,6}; null without /proc. */
async function listeningInodes(port: number): Promise<string[] | null> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes: string[] = [];
  let readAny = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => null);
    if (text === null) continue;
    readAny = true;
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      if (fields[1]!.endsWith(`:${hexPort}`) && fields[3] === '0A') inodes.push(fields[9]!);
    }
  }
  return readAny ? inodes : null;
}

/** The process that holds a socket inode (root sees every process's descriptors), or null. */
async function socketOwner(inodes: Set<string>): Promise<number | null> {
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((entry) => /^\d+$/.test(entry));
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode && inodes.has(inode)) return Number(pid);
    }
  }
  return null;
}

/** Who listens on 127.0.0.1:389: nobody, a DC of the AD lab (any data directory), or something else. */
export async function ldapPortHolder(port = LDAP_PORT): Promise<LdapHolder> {
  const inodes = await listeningInodes(port);
  if (inodes === null || inodes.length === 0) return { state: 'free' };
  const pid = await socketOwner(new Set(inodes));
  if (pid === null) return { state: 'other', pid: null, name: null };
  const dir = await dcDir(pid);
  if (dir) return { state: 'lab', pid, dir };
  const name = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() || null;
  return { state: 'other', pid, name };
}
