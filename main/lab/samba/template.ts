/**
 * The AD lab's template: one domain provisioned per realm name, with the lab's cast already in it,
 * copied for every later realm of that name — a warm `lab up --kind ad` is a copy and a start
 * (about a second) instead of a provision (5–8 s).
 *
 *   ${dataDir}/lab/.templates/ad-<REALM>/     a SambaRealm directory that never runs, plus:
 *       passwords.json (0600)                  Administrator, alice and the service accounts
 *       service.keytab, alice.keytab           their keys, exported once
 *       ready.json                             written last: the template is complete
 *
 * The cast: alice (a user), and one service account per lab service (svc-mqtt holds
 * mqtt/localhost …) with msDS-SupportedEncryptionTypes AES + RC4, so the lab's own tickets are
 * AES like a modern domain's; the AD scenarios make the other cases on their own accounts.
 */
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LAB_SERVICES, LAB_USER, labRoot } from '../layout';
import { withLock } from '../lock';
import { randomPassword, SambaRealm, SUPPORTED_ENCTYPE_BITS } from './realm';

/** The lab service → the account that holds it in an AD realm. */
export function serviceAccountName(spn: string): string {
  const service = (spn.split('/')[0] ?? spn).toLowerCase().replace(/[^a-z0-9-]/g, '');
  return `svc-${service}`.slice(0, 20);
}

/** AES128 + AES256 + RC4. */
export const BOTH_ENCTYPES = SUPPORTED_ENCTYPE_BITS.rc4 | SUPPORTED_ENCTYPE_BITS.aes128 | SUPPORTED_ENCTYPE_BITS.aes256;

export interface AdTemplate {
  realm: SambaRealm;
  dir: string;
  passwords: Record<string, string>;
  serviceKeytab: string;
  clientKeytab: string;
}

export function templateDir(dataDir: string, realm: string): string {
  return path.join(labRoot(dataDir), '.templates', `ad-${realm}`);
}

/** The template for `realm`, provisioned first when there is none (under a lock: one provision at a time). */
export async function adTemplate(dataDir: string, realmName: string, progress: (note: string) => void = () => {}): Promise<{ template: AdTemplate; provisioned: boolean }> {
  const dir = templateDir(dataDir, realmName);
  await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
  return withLock(`${dir}.lock`, async () => {
    if (await isReady(dir)) return { template: await openTemplate(dir), provisioned: false };
    await rm(dir, { recursive: true, force: true });
    const building = `${dir}.building-${process.pid}`;
    await rm(building, { recursive: true, force: true });
    try {
      progress(`provisioning the AD domain ${realmName} (once; later realms copy it)`);
      await buildTemplate(building, realmName);
      await rename(building, dir);
    } catch (error) {
      await rm(building, { recursive: true, force: true });
      throw error;
    }
    // Paths inside the template were written for the building directory: move them.
    await fixTemplatePaths(dir, building);
    return { template: await openTemplate(dir), provisioned: true };
  });
}

async function buildTemplate(dir: string, realmName: string): Promise<void> {
  const { realm, adminPassword } = await SambaRealm.provision({ dir, realm: realmName });
  const passwords: Record<string, string> = { [`Administrator@${realmName}`]: adminPassword };
  const alice = randomPassword();
  await realm.addPrincipal(LAB_USER, { password: alice });
  passwords[`${LAB_USER}@${realmName}`] = alice;
  for (const spn of LAB_SERVICES) {
    const account = serviceAccountName(spn);
    const password = randomPassword();
    await realm.addPrincipal(account, { password });
    passwords[`${account}@${realmName}`] = password;
    await realm.samba(['spn', 'add', spn, account]);
    await realm.modify(await realm.requireDn(account), [{ op: 'replace', attribute: 'msDS-SupportedEncryptionTypes', values: [String(BOTH_ENCTYPES)] }]);
  }
  for (const spn of LAB_SERVICES) await realm.exportKeys(path.join(dir, 'service.keytab'), `${spn}@${realmName}`);
  await realm.exportKeys(path.join(dir, `${LAB_USER}.keytab`), `${LAB_USER}@${realmName}`);
  await writeFile(path.join(dir, 'passwords.json'), `${JSON.stringify(passwords, null, 2)}\n`, { mode: 0o600 });
  await writeFile(path.join(dir, 'ready.json'), `${JSON.stringify({ realm: realmName, format: TEMPLATE_FORMAT, provisionedAt: new Date().toISOString() })}\n`);
}

/** smb.conf, base.conf and krb5.conf name the directory they were written in. */
async function fixTemplatePaths(dir: string, from: string): Promise<void> {
  for (const file of [path.join(dir, 'dc', 'etc', 'smb.conf'), path.join(dir, 'base.conf'), path.join(dir, 'krb5.conf')]) {
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text !== null) await writeFile(file, text.split(from + path.sep).join(dir + path.sep).split(from + '\n').join(dir + '\n'));
  }
}

/**
 * Bumped when templates made before must be provisioned again. 2: passwords set with smb.conf
 * loaded, so the cast's AES keys carry AD's salts (format 1 salted them with the bare name).
 */
const TEMPLATE_FORMAT = 2;

async function isReady(dir: string): Promise<boolean> {
  const ready = await readFile(path.join(dir, 'ready.json'), 'utf8').catch(() => null);
  if (ready === null) return false;
  try {
    return (JSON.parse(ready) as { format?: unknown }).format === TEMPLATE_FORMAT;
  } catch {
    return false;
  }
}

async function openTemplate(dir: string): Promise<AdTemplate> {
  const passwords = JSON.parse(await readFile(path.join(dir, 'passwords.json'), 'utf8')) as Record<string, string>;
  return { realm: await SambaRealm.open(dir), dir, passwords, serviceKeytab: path.join(dir, 'service.keytab'), clientKeytab: path.join(dir, `${LAB_USER}.keytab`) };
}

/** Copies the template's keytabs and passwords into a new realm's layout. */
export async function copyTemplateFiles(template: AdTemplate, target: { serviceKeytab: string; clientKeytab: string; passwords: string }): Promise<void> {
  await copyFile(template.serviceKeytab, target.serviceKeytab);
  await copyFile(template.clientKeytab, target.clientKeytab);
  await writeFile(target.passwords, `${JSON.stringify(template.passwords, null, 2)}\n`, { mode: 0o600 });
}
