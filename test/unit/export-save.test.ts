import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExportFile } from '../../main/api/export';
import { saveExport } from '../../main/export/save';

const text = (p: string, body: string, mode = 0o644): ExportFile => ({ path: p, language: 'text', text: body, mode, purpose: 'test', redacted: false });
const keytab = (binary?: string): ExportFile => ({
  path: 'svc/service.keytab',
  language: 'binary',
  text: '',
  ...(binary ? { binary } : { withheld: 'holds the service key: pass --reveal-secrets' }),
  mode: 0o600,
  purpose: 'the service keytab',
  redacted: !binary,
});

describe('saveExport', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-save-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('writes each file at its relative path with its mode, keytabs 0600, and lists withheld ones', async () => {
    const result = await saveExport([text('krb5.conf', '[libdefaults]\n'), keytab(Buffer.from([5, 2]).toString('base64'))], dir, false);
    expect(result.written.map((w) => path.relative(dir, w.path))).toEqual(['krb5.conf', 'svc/service.keytab']);
    expect((await stat(path.join(dir, 'svc/service.keytab'))).mode & 0o777).toBe(0o600);
    expect([...(await readFile(path.join(dir, 'svc/service.keytab')))]).toEqual([5, 2]);
    expect(result.withheld).toEqual([]);
    const redacted = await saveExport([keytab()], path.join(dir, 'other'), false);
    expect(redacted.written).toEqual([]);
    expect(redacted.withheld[0]!.why).toMatch(/reveal-secrets/);
  });

  it('refuses to overwrite without force, naming every file that exists, and replaces with force', async () => {
    await writeFile(path.join(dir, 'krb5.conf'), 'mine\n');
    await expect(saveExport([text('krb5.conf', 'new\n'), text('README.md', 'r')], dir, false)).rejects.toThrow(/1 file|a file exists.*krb5\.conf/);
    expect(await readFile(path.join(dir, 'krb5.conf'), 'utf8')).toBe('mine\n');
    await saveExport([text('krb5.conf', 'new\n')], dir, true);
    expect(await readFile(path.join(dir, 'krb5.conf'), 'utf8')).toBe('new\n');
  });

  it('refuses a path that climbs out of the directory', async () => {
    await expect(saveExport([text('../escape.conf', 'x')], dir, false)).rejects.toThrow(/outside/);
  });
});
