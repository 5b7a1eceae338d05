/**
 * What the lab service reads of a realm's files besides MIT's database: whether files are there,
 * which keytab holds whom, alice's TGT — and the one check on principal names every call makes.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BenchFailure } from '../engine/failure';
import { parseCcache } from '../krb/ccache';
import { samePrincipal, writeKeytab, type Keytab } from '../krb/keytab';
import { formatPrincipal, parsePrincipal } from '../krb/names';
import { writeFileAtomic } from '../system/files';
import { readKeytabFile } from '../system/keytab-file';
import type { LabLayout } from './layout';
import { pidAlive } from './procfs';

export async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

export async function lockHeld(lockFile: string): Promise<boolean> {
  const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
  return Number.isInteger(owner) && owner > 0 && pidAlive(owner);
}

/** A realm is there when its configuration, database and stash all are. */
export async function realmExists(layout: LabLayout): Promise<boolean> {
  const files = [layout.kdcConf, layout.krb5Conf, path.join(layout.dir, 'principal'), path.join(layout.dir, 'stash')];
  return (await Promise.all(files.map(exists))).every(Boolean);
}

/**
 * "alice" → "alice@REALM"; a name in another realm is refused. Only plain characters pass, so a
 * name goes to kadmin.local's command line as it is.
 */
export function fullName(name: string, realm: string): string {
  const trimmed = name.trim();
  if (!/^[A-Za-z0-9._\-/@$+=,:]{1,255}$/.test(trimmed) || trimmed.startsWith('-')) {
    throw new BenchFailure(`"${name}" is not a principal name the lab accepts (letters, digits and . _ - / @ $ + = , :)`);
  }
  const at = /(^|[^\\])@(.*)$/.exec(trimmed);
  if (!at) return `${trimmed}@${realm}`;
  if (at[2] !== realm) throw new BenchFailure(`${trimmed} is not in the lab realm ${realm}`);
  return trimmed;
}

export async function keytabHolds(file: string, name: string): Promise<boolean> {
  const principal = parsePrincipal(name);
  return (await readKeytabFile(file, { missingIsEmpty: true }).catch(() => ({ entries: [] }) as unknown as Keytab)).entries.some((e) => samePrincipal(e.principal, principal));
}

export async function removeFromKeytab(file: string, name: string): Promise<void> {
  if (!(await exists(file))) return;
  const keytab = await readKeytabFile(file);
  const principal = parsePrincipal(name);
  const kept = keytab.entries.filter((e) => !samePrincipal(e.principal, principal));
  if (kept.length !== keytab.entries.length) await writeFileAtomic(file, writeKeytab({ version: 0x502, entries: kept }));
}

/** Alice's TGT in the lab ccache: its client and times (KDC clock), or null. */
export async function readTgt(layout: LabLayout): Promise<{ client: string; starttime: number; endtime: number } | null> {
  try {
    const { ccache } = parseCcache(await readFile(layout.ccache));
    const tgt = ccache.credentials.find((c) => c.server.components[0] === 'krbtgt' && c.server.components[1] === layout.realm && c.server.realm === layout.realm);
    if (!tgt) return null;
    return { client: formatPrincipal(tgt.client), starttime: tgt.starttime || tgt.authtime, endtime: tgt.endtime };
  } catch {
    return null;
  }
}
