/**
 * What Linux /proc says about a process: is it alive, what is its command line, when did it
 * start. The lab uses it to find its detached krb5kdc again from a pid file (and to be sure the pid
 * is still that KDC, not a recycled number) and to find orphaned KDCs. Where /proc does not exist
 * (macOS) the answers degrade to `kill(pid, 0)`.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc/PID/stat times (USER_HZ: 100 on every Linux the bench runs on). */
const USER_HZ = 100;

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The argument vector of a live process, or null (gone, a zombie, or no /proc). */
export async function processArgv(pid: number): Promise<string[] | null> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    if (raw === '') return null; // zombies and kernel threads have an empty command line
    return raw.replace(/\0$/, '').split('\0');
  } catch {
    return null;
  }
}

/** Process state letter from /proc/PID/stat (R, S, D, Z, …), or null. */
async function processStat(pid: number): Promise<string[] | null> {
  try {
    const raw = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    const close = raw.lastIndexOf(')');
    return close < 0 ? null : raw.slice(close + 2).trim().split(/\s+/);
  } catch {
    return null;
  }
}

let bootTime: number | undefined;
async function bootTimeSeconds(): Promise<number | null> {
  if (bootTime !== undefined) return bootTime;
  try {
    const btime = /^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'))?.[1];
    return btime ? (bootTime = Number(btime)) : null;
  } catch {
    return null;
  }
}

/** When the process started, in unix milliseconds, or null when /proc cannot tell. */
export async function processStartedAt(pid: number): Promise<number | null> {
  const fields = await processStat(pid);
  const boot = await bootTimeSeconds();
  // After "(comm) ", field 3 (state) is index 0, so field 22 (starttime) is index 19.
  const ticks = fields?.[19];
  if (!ticks || boot === null) return null;
  return Math.round((boot + Number(ticks) / USER_HZ) * 1000);
}

export async function isZombie(pid: number): Promise<boolean> {
  return (await processStat(pid))?.[0] === 'Z';
}

/** Every process id /proc lists (empty without /proc). */
export async function listPids(): Promise<number[]> {
  try {
    return (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  } catch {
    return [];
  }
}

export function hasProcfs(): Promise<boolean> {
  return readFile('/proc/self/stat', 'utf8').then(
    () => true,
    () => false,
  );
}
