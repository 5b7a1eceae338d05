/**
 * A lab realm's status as the API returns it: MIT's database (principals, kvnos, flags), the KDC
 * process, the lab's files (service keytab, alice's TGT, kept stale keytabs) and the change undo
 * would revert.
 */
import type { LabPrincipal, LabStatus } from '../api/lab';
import { samePrincipal } from '../krb/keytab';
import { parsePrincipal } from '../krb/names';
import { readKeytabFile } from '../system/keytab-file';
import { findKdc } from './kdc-process';
import { readPasswords, readSettings, type LabSettings } from './lab-files';
import { labShellEnv, type LabLayout } from './layout';
import { listPrincipals } from './principals';
import { exists, readTgt, realmExists } from './realm-state';
import { MitRealm } from './mit/realm';
import { latestChange } from './undo';

export async function readLabStatus(layout: LabLayout): Promise<LabStatus> {
  const base = {
    realm: layout.realm,
    dir: layout.dir,
    keytabs: { service: layout.serviceKeytab, client: layout.clientKeytab },
    krb5Conf: layout.krb5Conf,
    env: labShellEnv(layout),
  };
  if (!(await realmExists(layout))) {
    return { ...base, kind: 'mit', ad: null, state: 'absent', pid: null, port: null, kdc: null, uptimeSeconds: null, principals: [], ccache: { path: layout.ccache, tgtExpires: null }, clockOffsetSeconds: 0, staleKeytabs: [], lastChange: null };
  }
  const realm = await MitRealm.open(layout.dir);
  const [kdc, database, passwords, settings, serviceKeytab, tgt, lastChange] = await Promise.all([
    findKdc(layout.pidFile),
    listPrincipals(realm),
    readPasswords(layout),
    readSettings(layout),
    readKeytabFile(layout.serviceKeytab, { missingIsEmpty: true }),
    readTgt(layout),
    latestChange(layout),
  ]);
  const principals: LabPrincipal[] = database.map((p) => ({
    name: p.name,
    kind: p.kind,
    kvno: p.kvno,
    enctypes: p.enctypes,
    flags: { requiresPreauth: p.requiresPreauth, allowTix: p.allowTix },
    hasPassword: passwords[p.name] !== undefined,
    inServiceKeytab: serviceKeytab.entries.some((e) => samePrincipal(e.principal, parsePrincipal(p.name))),
  }));
  const staleKeytabs: LabSettings['staleKeytabs'] = [];
  for (const record of settings.staleKeytabs) if (await exists(record.path)) staleKeytabs.push(record);
  return {
    ...base,
    kind: 'mit',
    ad: null,
    state: kdc ? 'running' : 'stopped',
    pid: kdc?.pid ?? null,
    port: realm.port,
    kdc: `127.0.0.1:${realm.port}`,
    uptimeSeconds: kdc?.startedAt ? Math.max(0, Math.floor((Date.now() - kdc.startedAt) / 1000)) : null,
    principals,
    ccache: { path: layout.ccache, tgtExpires: tgt ? new Date(tgt.endtime * 1000).toISOString() : null },
    clockOffsetSeconds: kdc ? kdc.clockOffsetSeconds : settings.clockOffsetSeconds,
    staleKeytabs,
    lastChange,
  };
}
