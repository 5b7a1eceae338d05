/**
 * The process tree under a pid, read from /proc (Linux): what a command started, and whether
 * those processes still live afterwards. A process is identified by pid and start time, so a pid
 * the kernel hands out again does not count as the same process.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** The kernel's name of the program (comm): "node", "krb5kdc". */
  comm: string;
  /** Clock ticks after boot (/proc/PID/stat field 22). */
  startTime: number;
  /** R, S, D, Z (zombie: exited, not yet reaped) … */
  state: string;
}

function readEntry(pid: string): ProcessEntry | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: the fields after it start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid: Number(pid), ppid: Number(fields[1]), comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), startTime: Number(fields[19]), state: fields[0]! };
  } catch {
    return null; // gone between readdir and read
  }
}

export function processTable(): ProcessEntry[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(readEntry)
    .filter((entry): entry is ProcessEntry => entry !== null);
}

/** Every process below `pid` (children, their children …). */
export function descendantsOf(pid: number): ProcessEntry[] {
  const table = processTable();
  const found: ProcessEntry[] = [];
  const walk = (parent: number) => {
    for (const child of table.filter((p) => p.ppid === parent)) {
      found.push(child);
      walk(child.pid);
    }
  };
  walk(pid);
  return found;
}

/** Whether this very process (same pid and start time) still exists; a zombie counts as gone. */
export function stillRunning(entry: ProcessEntry): boolean {
  const now = readEntry(String(entry.pid));
  return now !== null && now.startTime === entry.startTime && now.state !== 'Z';
}
