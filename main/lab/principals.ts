/**
 * The principals of a lab realm as MIT's database holds them, read with `kdb5_util tabdump`
 * (keyinfo: every key with its kvno and enctype; princ_flags: every attribute bit) — two quick
 * processes whatever the number of principals, where `getprinc` would need one each.
 */
import type { LabPrincipalKind } from '../api/lab';
import { runTool } from '../system/exec';
import { RealmError, type MitRealm } from './realm';

export interface DatabasePrincipal {
  name: string;
  kind: LabPrincipalKind;
  kvno: number;
  enctypes: string[];
  requiresPreauth: boolean;
  allowTix: boolean;
}

/** Principals MIT makes for itself in every database; not the user's business in the lab. */
function builtIn(name: string, realm: string): boolean {
  const bare = name.endsWith(`@${realm}`) ? name.slice(0, -realm.length - 1) : name;
  return bare === 'K/M' || bare === 'kadmin/admin' || bare === 'kadmin/changepw' || bare === 'kadmin/history' || bare.startsWith('kiprop/');
}

/** Splits on unescaped "/" (MIT escapes a literal one as "\/"). */
function components(name: string): string[] {
  const bare = name.replace(/(^|[^\\])@.*$/, '$1');
  return bare.split(/(?<!\\)\//);
}

export function principalKind(name: string): LabPrincipalKind {
  const parts = components(name);
  if (parts[0] === 'krbtgt' && parts.length === 2) return 'krbtgt';
  return parts.length > 1 ? 'service' : 'user';
}

async function tabdump(realm: MitRealm, table: string): Promise<string[][]> {
  const run = await runTool(await realm.toolPath('kdb5_util'), ['-r', realm.realm, 'tabdump', table], { env: realm.env(), timeoutMs: 15_000 });
  if (!run.ok) throw new RealmError('kadmin', `kdb5_util tabdump ${table} failed`, [run.error, run.stderr.trim()].filter(Boolean).join('\n'));
  const rows = run.stdout.split('\n').filter(Boolean).map((line) => line.split('\t'));
  return rows.slice(1); // the header
}

const KIND_ORDER: Record<LabPrincipalKind, number> = { krbtgt: 0, user: 1, service: 2 };

export async function listPrincipals(realm: MitRealm): Promise<DatabasePrincipal[]> {
  const [keys, flags] = await Promise.all([tabdump(realm, 'keyinfo'), tabdump(realm, 'princ_flags')]);
  const byName = new Map<string, DatabasePrincipal>();
  const entry = (name: string) => {
    let found = byName.get(name);
    if (!found) {
      found = { name, kind: principalKind(name), kvno: 0, enctypes: [], requiresPreauth: false, allowTix: true };
      byName.set(name, found);
    }
    return found;
  };
  for (const [name, flag, value] of flags) {
    if (!name || builtIn(name, realm.realm)) continue;
    const p = entry(name);
    if (flag === 'REQUIRES_PRE_AUTH') p.requiresPreauth = value === '1';
    if (flag === 'DISALLOW_ALL_TIX') p.allowTix = value !== '1';
  }
  for (const [name, , kvnoText, enctype] of keys) {
    if (!name || !enctype || builtIn(name, realm.realm)) continue;
    const p = entry(name);
    const kvno = Number(kvnoText);
    if (kvno > p.kvno) {
      p.kvno = kvno;
      p.enctypes = [];
    }
    if (kvno === p.kvno && !p.enctypes.includes(enctype)) p.enctypes.push(enctype);
  }
  return [...byName.values()].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.name.localeCompare(b.name));
}
