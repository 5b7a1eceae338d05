import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../main/system/files';

const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

describe('writeFileAtomic', () => {
  let dir: string;
  let outside: string;
  beforeEach(async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'kbench-files-'));
    dir = path.join(root, 'chosen');
    outside = path.join(root, 'elsewhere');
    await mkdir(dir);
    await mkdir(outside);
  });
  afterEach(async () => {
    await rm(path.dirname(dir), { recursive: true, force: true });
  });

  it('gives the file the mode it is given, never the old file’s executable bits or wider mode', async () => {
    const file = path.join(dir, 'svc.keytab');
    await writeFile(file, '#!/bin/sh\necho hi\n');
    await chmod(file, 0o777);
    await writeFileAtomic(file, Buffer.from('keys'));
    expect(await modeOf(file)).toBe(0o600);
    expect(await readFile(file, 'utf8')).toBe('keys');

    await chmod(file, 0o644);
    await writeFileAtomic(file, Buffer.from('keys 2'), 0o600);
    expect(await modeOf(file)).toBe(0o600);
  });

  it('creates new files with the mode given (less the umask), and leaves no temp file behind', async () => {
    const file = path.join(dir, 'exchange.json');
    await writeFileAtomic(file, Buffer.from('{}'), 0o640);
    expect(await modeOf(file)).toBe(0o640 & ~0o022 & 0o640);
    expect(await readdir(dir)).toEqual(['exchange.json']);
  });

  it('writes through a symbolic link to a file in the same folder, keeping the link', async () => {
    const real = path.join(dir, 'svc.kvno3.keytab');
    const link = path.join(dir, 'svc.keytab');
    await writeFile(real, 'old');
    await symlink('svc.kvno3.keytab', link);
    expect(await writeFileAtomic(link, Buffer.from('new'))).toBe(real);
    expect(await readFile(real, 'utf8')).toBe('new');
    expect((await readdir(dir)).sort()).toEqual(['svc.keytab', 'svc.kvno3.keytab']);
  });

  it('refuses a symbolic link out of the chosen folder, and writes nothing anywhere', async () => {
    const victim = path.join(outside, '.bashrc');
    await writeFile(victim, 'precious');
    const link = path.join(dir, 'svc.keytab');
    await symlink(victim, link);
    await expect(writeFileAtomic(link, Buffer.from('keys'))).rejects.toThrow(`${link} is a symbolic link to ${victim}, outside ${dir}: not written through it`);
    expect(await readFile(victim, 'utf8')).toBe('precious');
    expect((await readdir(dir)).sort()).toEqual(['svc.keytab']);

    // A dangling link would create the file where it points: refused the same way.
    const dangling = path.join(dir, 'new.keytab');
    await symlink(path.join(outside, 'planted'), dangling);
    await expect(writeFileAtomic(dangling, Buffer.from('keys'))).rejects.toThrow('outside');
    expect(await readdir(outside)).toEqual(['.bashrc']);

    // So is a chain of links that ends outside.
    await symlink('svc.keytab', path.join(dir, 'chain.keytab'));
    await expect(writeFileAtomic(path.join(dir, 'chain.keytab'), Buffer.from('keys'))).rejects.toThrow('outside');
    expect(await readFile(victim, 'utf8')).toBe('precious');
  });

  it('says which file it could not write', async () => {
    await expect(writeFileAtomic(path.join(dir, 'missing', 'x'), Buffer.from('x'))).rejects.toThrow(`${path.join(dir, 'missing', 'x')}: no such file`);
  });
});
