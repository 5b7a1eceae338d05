/**
 * The AD lab for integration tests: ONE Samba AD DC shared by every test file (Samba's LDAP port
 * 389 is fixed, so two DCs cannot run at once), in one data directory kept across runs so the
 * template is provisioned once. A file takes the DC for its whole run (openAdLab in beforeAll,
 * close in afterAll): AD test files run one after another while other files run beside them.
 *
 * Tests make their own accounts (unique names) and put back what they change; openAdLab puts the
 * clock back and makes sure the DC runs. Skipped with the doctor's hint when Samba cannot run here.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LabStatus } from '../../main/api/lab';
import { acquireLock, releaseLock } from '../../main/lab/lock';
import { pidAlive } from '../../main/lab/procfs';
import { LabServiceImpl } from '../../main/lab/service';

/** Where the shared AD lab lives (its template too). */
export const AD_TEST_DATA_DIR = path.join(os.tmpdir(), `kbench-ad-tests-${process.getuid?.() ?? 0}`);
const LOCK = `${AD_TEST_DATA_DIR}.lock`;
/** beforeAll may wait this long for another file to finish with the DC. */
export const AD_HOOK_TIMEOUT_MS = 20 * 60_000;

/** Why the AD lab cannot run here, or null. */
export function adLabUnavailable(): string | null {
  if (process.platform !== 'linux') return 'the AD lab runs on Linux only';
  if (process.getuid?.() !== 0) return "Samba's AD DC must run as root (it binds LDAP on 127.0.0.1:389): run the tests as root";
  for (const tool of ['samba', 'samba-tool', 'ldbsearch', 'ldbmodify']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is missing: sudo scripts/setup.sh installs the AD lab's packages (kbench doctor says the same)`;
    }
  }
  return null;
}

export const AD_SKIP_REASON = adLabUnavailable();

export interface AdLabHandle {
  lab: LabServiceImpl;
  dataDir: string;
  status: LabStatus;
  /** Releases the DC for the next test file (it keeps running; the global teardown stops it). */
  close(): Promise<void>;
}

/** Takes the shared AD lab's lock (waits for the file that holds it); release() gives it back. */
export const acquire = (): Promise<void> => acquireLock(LOCK, AD_HOOK_TIMEOUT_MS);

/** Gives the shared AD lab's lock back (acquire took it). */
export const release = (): Promise<void> => releaseLock(LOCK);

/** A lab service on the shared data directory (events go nowhere). */
function sharedLab(): LabServiceImpl {
  const events = { emit: () => {}, on: () => () => {}, off: () => {} } as never;
  return new LabServiceImpl({ dataDir: AD_TEST_DATA_DIR, events });
}

/** Takes the shared AD lab (waits for another file to finish with it) and brings it up. */
export async function openAdLab(): Promise<AdLabHandle> {
  await acquire();
  const lab = sharedLab();
  try {
    let status: LabStatus = await lab.up({ kind: 'ad' });
    if (status.clockOffsetSeconds !== 0) status = await lab.setClockOffset({ kind: 'ad', seconds: 0 });
    return {
      lab,
      dataDir: AD_TEST_DATA_DIR,
      status,
      async close() {
        lab.dispose();
        await release();
      },
    };
  } catch (error) {
    lab.dispose();
    await release();
    throw error;
  }
}

/** Stops the shared DC (the vitest global teardown of the integration project). */
export async function stopSharedAdLab(): Promise<void> {
  if (AD_SKIP_REASON) return;
  // Another vitest process (another file's run) holds the DC right now: its teardown stops it later.
  const owner = Number((await readFile(LOCK, 'utf8').catch(() => '')).trim());
  if (owner && owner !== process.pid && pidAlive(owner)) return;
  const lab = sharedLab();
  try {
    await lab.down({ kind: 'ad' });
  } catch {
    // nothing was up
  } finally {
    lab.dispose();
  }
}

/** A name no other test uses: "t" + 6 hex digits + suffix, within sAMAccountName's 20 characters. */
export function uniqueAccount(prefix: string): string {
  return `${prefix.slice(0, 10)}-${Math.random().toString(16).slice(2, 8)}`;
}
