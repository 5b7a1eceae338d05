/**
 * Undo for the lab's changes to one principal (rotate, flags, remove, password). MIT has no undo,
 * but its database tools give one for a single entry:
 *
 *   before:  kdb5_util dump FILE PRINCIPAL     just that entry (keys under the master key, kvno,
 *                                              attributes, expirations), as a load_dump v7 file
 *   undo:    kdb5_util load -update FILE       puts the entry back as it was: replaces it when it
 *                                              exists (a rotated key, flipped flags), adds it when
 *                                              it was deleted — same keys, same kvno
 *
 * (Verified against MIT 1.20.1 with the KDC running: it serves the restored entry at once.) The lab's
 * own files follow: the principal's entries of the service and client keytabs and its password are
 * kept beside the dump and put back; the other principals' entries stay as they are now.
 *
 *   ${realm dir}/undo/journal.json      the changes, oldest first (no secrets; at most MAX_CHANGES)
 *   ${realm dir}/undo/<id>/             0700: principal.dump, service.keytab and client.keytab (the
 *                                       principal's entries only), password.json (0600)
 *
 * Undo goes newest first, and only while the principal is as the change left it (its kvno, flags
 * and existence): a later change that has no undo (a new key from export-keytab, a principal
 * added again) would be silently thrown away otherwise.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { LabChange, LabChangeOperation } from '../api/lab';
import { BenchFailure } from '../engine/failure';
import { samePrincipal, writeKeytab, type Keytab } from '../krb/keytab';
import { parsePrincipal } from '../krb/names';
import { runTool } from '../system/exec';
import { writeFileAtomic } from '../system/files';
import { readKeytabFile } from '../system/keytab-file';
import { readPasswords, updatePasswords } from './lab-files';
import type { LabLayout } from './layout';
import { listPrincipals, type DatabasePrincipal } from './principals';
import type { MitRealm } from './mit/realm';

/** Changes kept for undo per realm; older ones (and their dumps) are dropped. */
const MAX_CHANGES = 10;
const TOOL_TIMEOUT_MS = 15_000;

/** How the principal stood right after the change: undo checks it is still so. */
export interface PrincipalState {
  exists: boolean;
  kvno: number;
  requiresPreauth: boolean;
  allowTix: boolean;
}

/** A change as the journal keeps it. */
export interface StoredChange extends LabChange {
  after: PrincipalState;
  /** A stale keytab the change made (rotateKey): undo removes it with its record. */
  staleKeytab?: string;
}

interface Journal {
  changes: StoredChange[];
}

/** What the lab kept of a principal before changing it. */
export interface PrincipalSnapshot {
  id: string;
  dir: string;
  principal: string;
}

const undoDir = (layout: LabLayout) => path.join(layout.dir, 'undo');
const journalFile = (layout: LabLayout) => path.join(undoDir(layout), 'journal.json');
const snapshotDir = (layout: LabLayout, id: string) => path.join(undoDir(layout), id);

export async function readJournal(layout: LabLayout): Promise<Journal> {
  try {
    const stored = JSON.parse(await readFile(journalFile(layout), 'utf8')) as Partial<Journal>;
    return { changes: Array.isArray(stored.changes) ? stored.changes.filter((c) => typeof c?.id === 'string' && /^[0-9a-f-]{36}$/.test(c.id)) : [] };
  } catch {
    return { changes: [] };
  }
}

async function writeJournal(layout: LabLayout, journal: Journal): Promise<void> {
  await writeFileAtomic(journalFile(layout), Buffer.from(`${JSON.stringify(journal, null, 2)}\n`), 0o600);
}

/** The change undo() would revert now, as the API shows it. */
export async function latestChange(layout: LabLayout): Promise<LabChange | null> {
  const last = (await readJournal(layout)).changes.at(-1);
  if (!last) return null;
  const { id, operation, principal, summary, undo, at } = last;
  return { id, operation, principal, summary, undo, at };
}

export function stateOf(found: DatabasePrincipal | undefined): PrincipalState {
  return found ? { exists: true, kvno: found.kvno, requiresPreauth: found.requiresPreauth, allowTix: found.allowTix } : { exists: false, kvno: 0, requiresPreauth: false, allowTix: false };
}

async function kdb5Util(realm: MitRealm, args: string[]): Promise<void> {
  const run = await runTool(await realm.toolPath('kdb5_util'), ['-r', realm.realm, ...args], { env: realm.env(), timeoutMs: TOOL_TIMEOUT_MS });
  if (!run.ok) throw new BenchFailure(`kdb5_util ${args[0]} failed: ${[run.error, run.stderr.trim()].filter(Boolean).join('; ') || `exit code ${run.code}`}`);
}

const entriesOf = (keytab: Keytab, name: string) => keytab.entries.filter((e) => samePrincipal(e.principal, parsePrincipal(name)));

/** Dumps the principal's database entry and keeps its keytab entries and password. */
export async function snapshotPrincipal(realm: MitRealm, layout: LabLayout, principal: string): Promise<PrincipalSnapshot> {
  const id = randomUUID();
  const dir = snapshotDir(layout, id);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    const dump = path.join(dir, 'principal.dump');
    await kdb5Util(realm, ['dump', dump, principal]);
    await rm(`${dump}.dump_ok`, { force: true });
    // A name the database does not hold dumps as the header alone.
    if (!/^princ\t/m.test(await readFile(dump, 'utf8'))) throw new BenchFailure(`no principal ${principal} in lab realm ${layout.realm}`);
    for (const [file, keytab] of [
      ['service.keytab', layout.serviceKeytab],
      ['client.keytab', layout.clientKeytab],
    ] as const) {
      const kept = entriesOf(await readKeytabFile(keytab, { missingIsEmpty: true }), principal);
      await writeFileAtomic(path.join(dir, file), writeKeytab({ version: 0x502, entries: kept }));
    }
    const password = (await readPasswords(layout))[principal];
    await writeFileAtomic(path.join(dir, 'password.json'), Buffer.from(JSON.stringify(password === undefined ? {} : { password })), 0o600);
    return { id, dir, principal };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

export async function discardSnapshot(snapshot: PrincipalSnapshot): Promise<void> {
  await rm(snapshot.dir, { recursive: true, force: true });
}

/** Records a change made after `snapshot`; the oldest changes beyond MAX_CHANGES are dropped. */
export async function recordChange(
  layout: LabLayout,
  snapshot: PrincipalSnapshot,
  change: { operation: LabChangeOperation; summary: string; undo: string; after: PrincipalState; staleKeytab?: string },
): Promise<void> {
  const journal = await readJournal(layout);
  journal.changes.push({ id: snapshot.id, principal: snapshot.principal, at: new Date().toISOString(), ...change });
  const dropped = journal.changes.splice(0, Math.max(0, journal.changes.length - MAX_CHANGES));
  await writeJournal(layout, journal);
  for (const old of dropped) await rm(snapshotDir(layout, old.id), { recursive: true, force: true });
}

/** The latest change (or `id`, when it is the latest), checked to be still undoable. */
export async function changeToUndo(realm: MitRealm, layout: LabLayout, id?: string): Promise<StoredChange> {
  const changes = (await readJournal(layout)).changes;
  const last = changes.at(-1);
  if (!last) throw new BenchFailure(`nothing to undo in lab realm ${layout.realm}: only rotate, flags, remove and password changes made by the bench can be undone`);
  if (id !== undefined && id !== last.id) {
    const wanted = changes.find((c) => c.id === id);
    throw new BenchFailure(wanted ? `a later change was made since (${last.summary}): undo that one first` : `that change can no longer be undone (only the last ${MAX_CHANGES} are kept)`);
  }
  const now = stateOf((await listPrincipals(realm)).find((p) => p.name === last.principal));
  const was = last.after;
  if (now.exists !== was.exists || now.kvno !== was.kvno || now.requiresPreauth !== was.requiresPreauth || now.allowTix !== was.allowTix) {
    throw new BenchFailure(`${last.principal} was changed since "${last.summary}" by something that has no undo (${describeState(now)} now, ${describeState(was)} then): undoing would discard that change too`);
  }
  return last;
}

function describeState(state: PrincipalState): string {
  if (!state.exists) return 'absent';
  return `kvno ${state.kvno}, ${state.requiresPreauth ? '+' : '-'}requires_preauth ${state.allowTix ? '+' : '-'}allow_tix`;
}

/** Puts the principal back as the snapshot of `change` has it; returns what was restored, in words. */
export async function restoreChange(realm: MitRealm, layout: LabLayout, change: StoredChange): Promise<string[]> {
  const dir = snapshotDir(layout, change.id);
  const restored: string[] = [];
  await kdb5Util(realm, ['load', '-update', path.join(dir, 'principal.dump')]);
  restored.push(`${change.principal}'s database entry (keys, kvno, flags) loaded back with kdb5_util load -update`);
  for (const [file, keytab, label] of [
    ['service.keytab', layout.serviceKeytab, 'the service keytab'],
    ['client.keytab', layout.clientKeytab, "alice's client keytab"],
  ] as const) {
    const kept = entriesOf(await readKeytabFile(path.join(dir, file), { missingIsEmpty: true }), change.principal);
    const current = await readKeytabFile(keytab, { missingIsEmpty: true });
    const others = current.entries.filter((e) => !samePrincipal(e.principal, parsePrincipal(change.principal)));
    const now = entriesOf(current, change.principal);
    // Untouched by the change (flags, or a file that never held the principal): left as it is.
    if (writeKeytab({ version: 0x502, entries: now }).equals(writeKeytab({ version: 0x502, entries: kept }))) continue;
    await writeFileAtomic(keytab, writeKeytab({ version: 0x502, entries: [...others, ...kept] }));
    restored.push(kept.length ? `${label}: ${change.principal}'s ${kept.length} entr${kept.length === 1 ? 'y' : 'ies'} as they were (kvno ${[...new Set(kept.map((e) => e.kvno))].join(', ')})` : `${label}: ${change.principal}'s entries removed, as before`);
  }
  const { password } = JSON.parse(await readFile(path.join(dir, 'password.json'), 'utf8')) as { password?: string };
  const current = (await readPasswords(layout))[change.principal];
  if (current !== password) {
    await updatePasswords(layout, (p) => void (password === undefined ? delete p[change.principal] : (p[change.principal] = password)));
    restored.push(password === undefined ? 'the lab forgets the password it did not know before' : `the lab knows ${change.principal}'s previous password again`);
  }
  return restored;
}

/** Drops the change (the latest) from the journal with its snapshot. */
export async function forgetChange(layout: LabLayout, change: StoredChange): Promise<void> {
  const journal = await readJournal(layout);
  await writeJournal(layout, { changes: journal.changes.filter((c) => c.id !== change.id) });
  await rm(snapshotDir(layout, change.id), { recursive: true, force: true });
}
