/**
 * One change at a time per realm, across processes (`kbench web` and a `kbench lab …` in a shell
 * may act on the same realm): a lock file created with O_EXCL holding the owner's pid. A lock whose
 * owner is gone (crash) is taken over. Inside one process, callers queue on a promise chain first,
 * so the process never waits for its own lock file.
 */
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { RealmError } from './mit/realm';
import { pidAlive } from './procfs';

const LOCK_TIMEOUT_MS = 60_000;
const queues = new Map<string, Promise<unknown>>();

export async function withLock<T>(lockFile: string, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(lockFile) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(async () => {
    await acquireLock(lockFile);
    try {
      return await work();
    } finally {
      await releaseLock(lockFile);
    }
  });
  queues.set(lockFile, run);
  try {
    return await run;
  } finally {
    if (queues.get(lockFile) === run) queues.delete(lockFile);
  }
}

/**
 * Takes the lock file (waits while a live owner holds it, takes over a dead owner's) for a caller
 * that holds it beyond one function — withLock is the usual way; releaseLock gives it back.
 */
export async function acquireLock(lockFile: string, timeoutMs = LOCK_TIMEOUT_MS): Promise<void> {
  await mkdir(path.dirname(lockFile), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
    // An empty file is a lock being written this instant; a dead owner left it behind.
    const age = await stat(lockFile).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if ((owner && !pidAlive(owner)) || (!owner && age > 2000)) {
      await rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new RealmError('setup', `the lab realm is busy: process ${owner || '?'} holds ${lockFile} for over ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function releaseLock(lockFile: string): Promise<void> {
  await rm(lockFile, { force: true });
}
