/**
 * Making a lab realm and mending its files: the realm as `up` creates it, and the lab's keytabs
 * exported again when someone deleted them.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { readPasswords, updatePasswords, writeOwner, writeSettings } from './lab-files';
import { LAB_SERVICES, LAB_USER, TEMPORARY_REALM_PREFIX, type LabLayout } from './layout';
import { listPrincipals } from './principals';
import { exists } from './realm-state';
import { MitRealm } from './mit/realm';

/** A new realm with the lab's cast: alice (random password, client keytab) and the services in the service keytab. */
export async function createLabRealm(layout: LabLayout): Promise<MitRealm> {
  await mkdir(path.dirname(layout.dir), { recursive: true, mode: 0o700 });
  const realm = await MitRealm.create({ dir: layout.dir, realm: layout.realm }).catch(async (error: unknown) => {
    await rm(layout.dir, { recursive: true, force: true });
    throw error;
  });
  try {
    if (layout.realm.startsWith(TEMPORARY_REALM_PREFIX)) await writeOwner(layout);
    const alice = `${LAB_USER}@${layout.realm}`;
    const password = randomBytes(18).toString('base64url');
    await updatePasswords(layout, (p) => void (p[alice] = password));
    await realm.addPrincipal(alice, { password });
    for (const service of LAB_SERVICES) await realm.addPrincipal(`${service}@${layout.realm}`, { randkey: true });
    // Like a real deployment: ktadd gives each service new keys (kvno 2) in the one service keytab.
    for (const service of LAB_SERVICES) await realm.ktadd(layout.serviceKeytab, `${service}@${layout.realm}`);
    await realm.ktadd(layout.clientKeytab, alice, { norandkey: true });
    await writeSettings(layout, { createdAt: new Date().toISOString(), clockOffsetSeconds: 0, staleKeytabs: [] });
    return realm;
  } catch (error) {
    await rm(layout.dir, { recursive: true, force: true });
    throw error;
  }
}

/** Keytabs someone deleted are exported again with the current keys (nothing changes in the database). */
export async function repairLabKeytabs(realm: MitRealm, layout: LabLayout, notes: string[]): Promise<void> {
  const needClient = !(await exists(layout.clientKeytab));
  const needService = !(await exists(layout.serviceKeytab));
  if (!needClient && !needService) return;
  const principals = await listPrincipals(realm);
  const passwords = await readPasswords(layout);
  const alice = `${LAB_USER}@${layout.realm}`;
  if (needClient && principals.some((p) => p.name === alice)) {
    await realm.ktadd(layout.clientKeytab, alice, { norandkey: true });
    notes.push(`${layout.clientKeytab} was missing: exported again`);
  }
  if (needService) {
    const services = principals.filter((p) => p.kind === 'service' && passwords[p.name] === undefined);
    for (const service of services) await realm.ktadd(layout.serviceKeytab, service.name, { norandkey: true });
    if (services.length) notes.push(`${layout.serviceKeytab} was missing: exported again`);
  }
}
