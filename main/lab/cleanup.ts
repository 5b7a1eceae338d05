/**
 * Leftovers of crashed runs, cleaned up on every `lab up`:
 *   - a krb5kdc whose pid file lies under ${dataDir}/lab but whose realm directory is gone → killed;
 *   - a krb5kdc started for the realm being brought up, but whose pid file now names another
 *     process (or none) → killed (it would hold the realm's port forever);
 *   - temporary realms (TMP-…) whose maker process is gone → their KDC stopped, directory removed.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { findKdc, kdcsUnder, stopPid } from './kdc-process';
import { ownerAlive } from './lab-files';
import { isValidRealmName, labLayout, labRoot, TEMPORARY_REALM_PREFIX, type LabLayout } from './layout';
import { exists, lockHeld } from './realm-state';

/** Orphaned KDCs, strays and temporary realms left by crashed runs (see the header); `unfollow` stops watching a removed realm's log. */
export async function cleanUpLeftovers(dataDir: string, current: LabLayout, unfollow: (realm: string) => void): Promise<string[]> {
  const notes: string[] = [];
  const root = labRoot(dataDir);
  for (const { pid, pidFile } of await kdcsUnder(root)) {
    const dir = path.dirname(pidFile);
    const realmGone = !(await exists(path.join(dir, 'kdc.conf')));
    // A stray: started for the realm we hold the lock of, yet not the process its pid file names.
    const stray = !realmGone && pidFile === current.pidFile && (await findKdc(pidFile))?.pid !== pid;
    if (!realmGone && !stray) continue;
    await stopPid(pid);
    notes.push(realmGone ? `stopped orphaned krb5kdc ${pid}: its realm ${dir} is gone` : `stopped stray krb5kdc ${pid} of ${current.realm}: its pid file names another process`);
  }
  const names = await readdir(root).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(TEMPORARY_REALM_PREFIX) || name === current.realm || !isValidRealmName(name)) continue;
    const layout = labLayout(dataDir, name);
    // Its maker is alive, or someone is creating or changing it right now (holds its lock).
    if ((await ownerAlive(layout)) || (await lockHeld(layout.lockFile))) continue;
    const kdc = await findKdc(layout.pidFile);
    if (kdc) await stopPid(kdc.pid);
    unfollow(name);
    await rm(layout.dir, { recursive: true, force: true });
    await rm(layout.lockFile, { force: true });
    notes.push(`removed temporary realm ${name}: the process that made it is gone`);
  }
  return notes;
}
