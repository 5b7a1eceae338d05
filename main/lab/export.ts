/**
 * The keys `exportKeytab` writes for one principal: its current keys (ktadd -norandkey, only the
 * wanted enctypes), or new random keys of just those enctypes (ktadd -e, kvno + 1), which the
 * lab's service keytab then gets too. Every ktadd goes to a scratch keytab first, so the user's
 * file is written once, whole, by the caller.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { BenchFailure } from '../engine/failure';
import { mergeKeytabs, writeKeytab, type Keytab } from '../krb/keytab';
import { enctypeId, enctypeName } from '../krb/names';
import { writeFileAtomic } from '../system/files';
import { readKeytabFile } from '../system/keytab-file';
import { readPasswords } from './lab-files';
import type { LabLayout } from './layout';
import { principalKind } from './principals';
import { keytabHolds } from './realm-state';
import type { MitRealm } from './mit/realm';

/** Enctype names → ids; unknown names and an empty list are refused before any key changes. */
export function wantedEnctypes(names: string[] | undefined): number[] | undefined {
  const wanted = names?.map((e) => {
    const id = enctypeId(e);
    if (id === undefined || !/^[a-z]/.test(enctypeName(id))) throw new BenchFailure(`unknown enctype "${e}"`);
    return id;
  });
  if (wanted && wanted.length === 0) throw new BenchFailure('the enctype list is empty');
  return wanted;
}

export async function exportKeys(realm: MitRealm, layout: LabLayout, name: string, options: { wanted: number[] | undefined; newKeys?: boolean }): Promise<Keytab> {
  const scratch = path.join(layout.dir, `.export-${randomBytes(6).toString('hex')}.keytab`);
  try {
    return options.newKeys ? await exportNewKeys(realm, layout, name, scratch, options.wanted) : await exportCurrentKeys(realm, name, scratch, options.wanted);
  } finally {
    await rm(scratch, { force: true });
  }
}

async function exportNewKeys(realm: MitRealm, layout: LabLayout, name: string, scratch: string, wanted: number[] | undefined): Promise<Keytab> {
  if (principalKind(name) === 'krbtgt') throw new BenchFailure(`${name}: new krbtgt keys would invalidate every ticket; rotate it instead`);
  if ((await readPasswords(layout))[name] !== undefined) throw new BenchFailure(`${name} is a user with a password: new random keys would replace it (export without new keys)`);
  await realm.ktadd(scratch, name, wanted ? { enctypes: wanted.map(enctypeName) } : {});
  const fresh = await readKeytabFile(scratch);
  // The lab's own service keytab stays current with the new keys.
  if (principalKind(name) !== 'user' || (await keytabHolds(layout.serviceKeytab, name))) {
    await writeFileAtomic(layout.serviceKeytab, writeKeytab(mergeKeytabs([await readKeytabFile(layout.serviceKeytab, { missingIsEmpty: true }), fresh])));
  }
  return fresh;
}

async function exportCurrentKeys(realm: MitRealm, name: string, scratch: string, wanted: number[] | undefined): Promise<Keytab> {
  await realm.ktadd(scratch, name, { norandkey: true });
  const current = await readKeytabFile(scratch);
  const kept = wanted ? current.entries.filter((e) => wanted.includes(e.enctype)) : current.entries;
  if (!kept.length) {
    const has = [...new Set(current.entries.map((e) => enctypeName(e.enctype)))].join(', ');
    throw new BenchFailure(`${name} has no ${wanted!.map(enctypeName).join(' or ')} key (it has ${has}); use newKeys to make keys of those enctypes`);
  }
  return { version: 0x502, entries: kept };
}
