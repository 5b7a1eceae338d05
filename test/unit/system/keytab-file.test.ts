import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../../main/engine/dispatch';
import { createEngine } from '../../../main/engine';
import { keytabEntryRandom, parseKeytab, writeKeytab, KEYTAB_V2, type Keytab } from '../../../main/krb/keytab';
import { parsePrincipal } from '../../../main/krb/names';
import { NotAKeytabError, readKeytabFile, writeKeytabFile } from '../../../main/system/keytab-file';

const keytab = (): Keytab => ({ version: KEYTAB_V2, entries: [keytabEntryRandom(parsePrincipal('HTTP/web.example.com@EXAMPLE.COM'), 18, 3)] });

describe('keytab files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-keytab-file-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes new keytabs and replaces keytabs, always 0600', async () => {
    const file = path.join(dir, 'svc.keytab');
    expect(await writeKeytabFile(file, keytab())).toBe(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const second = keytab();
    await writeKeytabFile(`FILE:${file}`, second);
    expect(await readFile(file)).toEqual(writeKeytab(second));
    expect((await readKeytabFile(file)).entries).toHaveLength(1);
    await writeFile(path.join(dir, 'empty'), '');
    await writeKeytabFile(path.join(dir, 'empty'), keytab());
  });

  it('refuses to replace a file that is not a keytab, unless told to', async () => {
    const file = path.join(dir, 'krb5.conf');
    await writeFile(file, '[libdefaults]\n  default_realm = EXAMPLE.COM\n', { mode: 0o755 });
    const refusal = await writeKeytabFile(file, keytab()).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(NotAKeytabError);
    expect((refusal as NotAKeytabError).message).toBe(
      `${file} exists and is not a keytab (44 bytes starting "[libdefaults]"): not replaced. Save somewhere else, or confirm that it may be replaced (--force).`,
    );
    expect((refusal as NotAKeytabError).details).toEqual({ reason: 'not-a-keytab', path: file });
    expect(await readFile(file, 'utf8')).toContain('default_realm');

    await writeKeytabFile(file, keytab(), { replace: true });
    expect(parseKeytab(await readFile(file)).keytab.entries).toHaveLength(1);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('refuses a directory, and a link out of the folder even with replace', async () => {
    await mkdir(path.join(dir, 'sub'));
    await expect(writeKeytabFile(path.join(dir, 'sub'), keytab())).rejects.toThrow(`${path.join(dir, 'sub')} is not a regular file: a keytab cannot be saved there`);
    await expect(writeKeytabFile(path.join(dir, 'sub'), keytab(), { replace: true })).rejects.toThrow(`${path.join(dir, 'sub')}: is a directory`);
    const outside = await mkdtemp(path.join(os.tmpdir(), 'kbench-outside-'));
    try {
      await writeFile(path.join(outside, 'krb5.keytab'), writeKeytab(keytab()));
      await symlink(path.join(outside, 'krb5.keytab'), path.join(dir, 'link.keytab'));
      await expect(writeKeytabFile(path.join(dir, 'link.keytab'), keytab(), { replace: true })).rejects.toThrow('outside');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('reaches the Keytab view through the API as a failure it can ask about', async () => {
    const file = path.join(dir, 'notes.txt');
    await writeFile(file, 'my notes\n');
    const engine = createEngine({ runtime: 'cli', dataDir: dir });
    const base64 = writeKeytab(keytab()).toString('base64');
    expect(await dispatch(engine.api, { service: 'keytab', method: 'save', args: [file, base64] })).toMatchObject({
      ok: false,
      error: { code: 'failed', details: { reason: 'not-a-keytab', path: file } },
    });
    expect(await readFile(file, 'utf8')).toBe('my notes\n');
    expect(await dispatch(engine.api, { service: 'keytab', method: 'save', args: [file, base64, { replace: true }] })).toEqual({
      ok: true,
      value: { path: file, bytes: Buffer.from(base64, 'base64').length },
    });
    await engine.dispose();
  });
});
