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

export interface ProgramRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program; never throws (the exit code, -1 when it was killed or never ran, and its output are the result). */
export function runProgram(file: string, args: string[], env: NodeJS.ProcessEnv, input = '', timeoutMs = 120_000): Promise<ProgramRun> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
    child.stdin?.on('error', () => {}); // a program that exits without reading stdin
    child.stdin?.end(input);
  });
}

const kbenchBin = path.resolve('bin/kbench.js');

/** Runs `kbench ARGS` as a separate process, as a user would (needs the build); `input` goes to its stdin. */
export function kbenchProcess(args: string[], env: NodeJS.ProcessEnv, options: { input?: string; timeoutMs?: number } = {}): Promise<ProgramRun> {
  return runProgram(process.execPath, [kbenchBin, ...args], env, options.input ?? '', options.timeoutMs ?? 60_000);
}
