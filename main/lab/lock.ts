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
    await acquire(lockFile);
    try {
      return await work();
    } finally {
      await rm(lockFile, { force: true });
    }
  });
  queues.set(lockFile, run);
  try {
    return await run;
  } finally {
    if (queues.get(lockFile) === run) queues.delete(lockFile);
  }
}

async function acquire(lockFile: string): Promise<void> {
  await mkdir(path.dirname(lockFile), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
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
    if (Date.now() > deadline) throw new RealmError('setup', `the lab realm is busy: process ${owner || '?'} holds ${lockFile} for over ${LOCK_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
