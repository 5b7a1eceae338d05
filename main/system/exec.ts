import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';

export interface ToolRun {
  /** True when the program ran and exited with status 0. */
  ok: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why it did not run or did not finish (ENOENT, timeout), in words. */
  error?: string;
}

/**
 * Runs a program and collects its output. Never throws and never waits forever: a missing
 * program, a crash and a timeout all come back as data.
 */
export function runTool(
  file: string,
  args: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<ToolRun> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? 5000, env: options.env ?? process.env, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolve({ ok: true, code: 0, stdout, stderr });
        const err = error as NodeJS.ErrnoException & { code?: string | number; killed?: boolean };
        const code = typeof err.code === 'number' ? err.code : null;
        let reason: string | undefined;
        if (err.code === 'ENOENT') reason = `${file}: not found`;
        else if (err.killed) reason = `${file}: no answer within ${options.timeoutMs ?? 5000} ms`;
        else if (code === null) reason = err.message;
        resolve({ ok: false, code, stdout, stderr, ...(reason ? { error: reason } : {}) });
      },
    );
    // A program that exits at once (or never started) closes stdin under us: that is not an error.
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

/** System directories that hold admin tools (krb5kdc, kadmin.local) but are often not on a user's PATH. */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Finds a program on PATH or in the sbin directories; returns its absolute path or null. */
export async function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const dirs = [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SBIN_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}
