import { execFile } from 'node:child_process';
import path from 'node:path';
import { runCli } from '../../main/cli';

/** Runs `kbench ARGS` in-process and captures what it prints. */
export async function runKbench(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env,
    isTty: false,
  });
  return { code, stdout, stderr };
}

const kbenchBin = path.resolve('bin/kbench.js');

/** Runs `kbench ARGS` as a separate process, as a user would (needs the build); `input` goes to its stdin. */
export function kbenchProcess(args: string[], env: NodeJS.ProcessEnv, options: { input?: string; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [kbenchBin, ...args], { env, encoding: 'utf8', timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(options.input ?? '');
  });
}
