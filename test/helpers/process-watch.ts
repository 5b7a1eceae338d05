/**
 * Watches the process list from a separate process, as another user of the machine could: a
 * child node scans every /proc/PID/cmdline in a tight loop (and the environment of the programs
 * watched, which root may read) and reports every process whose command line or environment
 * holds one of the secrets. The secrets reach the
 * watcher on its stdin — never on its own command line — and it also lists the command lines of
 * the programs of interest it saw, so a test can prove it was watching when they ran.
 */
import { spawn } from 'node:child_process';

export interface WatchReport {
  scans: number;
  /** Processes whose command line or environment held a secret: "pid cmdline|environ: …". */
  leaks: string[];
  /** Command lines (argv) of processes whose program name matched `programs`, each once. */
  seen: string[][];
}

const WATCHER = `
const fs = require('node:fs');
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.once('data', () => setImmediate(scan));
const leaks = new Set(); const seen = new Map(); let scans = 0; let stop = false;
process.on('SIGTERM', () => (stop = true));
function read(file) { try { return fs.readFileSync(file, 'latin1'); } catch { return ''; } }
function scan() {
  const { secrets, programs } = JSON.parse(input.split('\\n')[0]);
  const pattern = new RegExp(programs);
  for (;;) {
    if (stop) break;
    scans++;
    for (const pid of fs.readdirSync('/proc')) {
      if (!/^\\d+$/.test(pid) || Number(pid) === process.pid) continue;
      const argv = read('/proc/' + pid + '/cmdline').split('\\0').filter(Boolean);
      const watched = Boolean(argv[0] && pattern.test(argv[0]));
      // Environments only of the programs watched: whoever started them chose their own.
      const environ = watched ? read('/proc/' + pid + '/environ') : '';
      for (const secret of secrets) {
        if (argv.join(' ').includes(secret)) leaks.add(pid + ' cmdline: ' + argv.join(' '));
        if (environ.includes(secret)) leaks.add(pid + ' environ: ' + argv.join(' '));
      }
      if (watched) seen.set(argv.join('\\0'), argv);
    }
    // Let SIGTERM in without slowing the scan much.
    if (scans % 20 === 0) { setImmediate(scan); return; }
  }
  process.stdout.write(JSON.stringify({ scans, leaks: [...leaks], seen: [...seen.values()] }));
  process.exit(0);
}
`;

export interface ProcessWatch {
  stop(): Promise<WatchReport>;
}

/** Starts watching for `secrets`; `programs` is a regular expression for argv[0] of the programs to list. */
export async function watchProcessList(secrets: string[], programs: string): Promise<ProcessWatch> {
  const child = spawn(process.execPath, ['-e', WATCHER], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin.write(`${JSON.stringify({ secrets, programs })}\n`);
  // Give it time to make its first scans before the work under test starts.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      return JSON.parse(output) as WatchReport;
    },
  };
}
