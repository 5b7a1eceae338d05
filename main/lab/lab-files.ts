/**
 * The lab's own small files next to MIT's in a realm directory: user passwords (0600, never in a
 * status or a log), settings that must survive a restart (KDC clock offset), and the owner of a
 * temporary realm.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../system/files';
import type { LabLayout } from './layout';
import { pidAlive, processStartedAt } from './procfs';

export interface LabSettings {
  createdAt: string;
  clockOffsetSeconds: number;
  /** Copies of the service keytab kept by key rotations. */
  staleKeytabs: { path: string; principal: string; kvno: number }[];
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

async function writeJson(file: string, value: unknown, mode: number): Promise<void> {
  await writeFileAtomic(file, Buffer.from(`${JSON.stringify(value, null, 2)}\n`), mode);
}

export async function readSettings(layout: LabLayout): Promise<LabSettings> {
  const stored = await readJson<Partial<LabSettings>>(layout.settings);
  const stale = Array.isArray(stored?.staleKeytabs) ? stored.staleKeytabs : [];
  return {
    createdAt: typeof stored?.createdAt === 'string' ? stored.createdAt : new Date().toISOString(),
    clockOffsetSeconds: Number.isInteger(stored?.clockOffsetSeconds) ? stored!.clockOffsetSeconds! : 0,
    staleKeytabs: stale.filter((r) => typeof r?.path === 'string' && typeof r?.principal === 'string' && Number.isInteger(r?.kvno)),
  };
}

export async function writeSettings(layout: LabLayout, settings: LabSettings): Promise<void> {
  await writeJson(layout.settings, settings, 0o644);
}

/** Passwords by full principal name. The file is 0600 and written atomically. */
export async function readPasswords(layout: LabLayout): Promise<Record<string, string>> {
  const stored = await readJson<Record<string, unknown>>(layout.passwords);
  const out: Record<string, string> = {};
  for (const [name, password] of Object.entries(stored ?? {})) if (typeof password === 'string') out[name] = password;
  return out;
}

export async function updatePasswords(layout: LabLayout, change: (passwords: Record<string, string>) => void): Promise<void> {
  const passwords = await readPasswords(layout);
  change(passwords);
  await writeJson(layout.passwords, passwords, 0o600);
}

interface Owner {
  pid: number;
  /** Unix ms the owner process started: tells a live owner from a recycled pid. */
  startedAt: number | null;
}

export async function writeOwner(layout: LabLayout): Promise<void> {
  await writeJson(layout.owner, { pid: process.pid, startedAt: await processStartedAt(process.pid) } satisfies Owner, 0o644);
}

/** A temporary realm's maker is still running (no owner file: not alive). */
export async function ownerAlive(layout: LabLayout): Promise<boolean> {
  const owner = await readJson<Owner>(layout.owner);
  if (!owner || !Number.isInteger(owner.pid) || !pidAlive(owner.pid)) return false;
  if (owner.startedAt === null) return true;
  const startedAt = await processStartedAt(owner.pid);
  return startedAt === null || Math.abs(startedAt - owner.startedAt) < 2000;
}
