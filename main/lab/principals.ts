/**
 * The principals of a lab realm as MIT's database holds them, read with `kdb5_util tabdump`
 * (keyinfo: every key with its kvno and enctype; princ_flags: every attribute bit) — two quick
 * processes whatever the number of principals, where `getprinc` would need one each.
 */
import type { LabPrincipalKind } from '../api/lab';
import { BenchFailure } from '../engine/failure';
import type { FlagChanges } from './change-words';
import type { LabLayout } from './layout';
import { runTool } from '../system/exec';
import { RealmError, type MitRealm } from './mit/realm';

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

// ---- refusals: changes the lab will not make ---------------------------------------------------

export function refuseRemoval(name: string, layout: LabLayout): void {
  if (name === `krbtgt/${layout.realm}@${layout.realm}`) throw new BenchFailure(`${name} is the realm's own key: removing it would break the realm (kbench lab down --destroy removes the whole realm)`);
}

export function refusePassword(name: string): void {
  if (principalKind(name) === 'krbtgt') throw new BenchFailure(`${name} has no password: rotate its key instead`);
}

export function refuseRotation(kind: LabPrincipalKind, name: string, given: string, passwords: Record<string, string>): void {
  if (kind !== 'krbtgt' && passwords[name] !== undefined) {
    throw new BenchFailure(`${name} is a user with a password: random keys would replace it. Set a new password instead (kbench lab password ${given})`);
  }
}

/** kadmin modprinc arguments for the flags asked for; none is a failure. */
export function modprincArgs(flags: FlagChanges): string[] {
  const changes = [
    ...(flags.requiresPreauth === undefined ? [] : [flags.requiresPreauth ? '+requires_preauth' : '-requires_preauth']),
    ...(flags.allowTix === undefined ? [] : [flags.allowTix ? '+allow_tix' : '-allow_tix']),
    // "now" is not yet past for the KDC's check: an hour ago is.
    ...(flags.expired === undefined ? [] : [`-expire ${flags.expired ? '"1 hour ago"' : 'never'}`]),
    ...(flags.passwordExpired === undefined ? [] : [`-pwexpire ${flags.passwordExpired ? '"1 hour ago"' : 'never'}`]),
  ];
  if (!changes.length) throw new BenchFailure('no flag to change: give requiresPreauth, allowTix, expired and/or passwordExpired');
  return changes;
}
