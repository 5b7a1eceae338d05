import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RoleMapping } from '../../../main/api/http';
import { RoleMappingStore, RoleStoreError } from '../../../main/http/es/role-store';

const mapping = (roles: string[]): RoleMapping => ({ enabled: true, roles, rules: { field: { username: '*@BENCH.TEST' } }, metadata: {} });

describe('RoleMappingStore', () => {
  let dataDir: string;
  let store: RoleMappingStore;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-role-store-'));
    store = RoleMappingStore.inDataDir(dataDir);
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts empty without a file and keeps mappings in <dataDir>/http/role-mappings.json (0600)', async () => {
    expect(store.file).toBe(path.join(dataDir, 'http', 'role-mappings.json'));
    expect(await store.all()).toEqual({});
    expect(await store.put('m1', mapping(['a']))).toEqual({ created: true });
    expect(await store.put('m1', mapping(['b']))).toEqual({ created: false });
    expect(await store.put('m2', mapping(['c']))).toEqual({ created: true });
    expect(JSON.parse(await readFile(store.file, 'utf8'))).toEqual({ m1: mapping(['b']), m2: mapping(['c']) });
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
    expect(await RoleMappingStore.inDataDir(dataDir).get('m1')).toEqual(mapping(['b']));
  });

  it('deletes, saying whether it found the mapping', async () => {
    await store.put('m1', mapping(['a']));
    expect(await store.delete('m1')).toEqual({ found: true });
    expect(await store.delete('m1')).toEqual({ found: false });
    expect(await store.get('m1')).toBeUndefined();
  });

  it('keeps every one of many concurrent writes', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(`m${i}`, mapping([`r${i}`]))));
    expect(Object.keys(await RoleMappingStore.inDataDir(dataDir).all())).toHaveLength(20);
  });

  it('sees a hand edit of the file without a restart', async () => {
    await store.put('m1', mapping(['a']));
    await writeFile(store.file, JSON.stringify({ edited: mapping(['x']) }));
    const later = new Date(Date.now() + 5000);
    await utimes(store.file, later, later);
    expect(Object.keys(await store.all())).toEqual(['edited']);
  });

  it('never overwrites a corrupt file: reads and writes fail naming file, line and column', async () => {
    await store.put('m1', mapping(['a']));
    const corrupt = '{\n  "m1": {"enabled": true,\n    "roles": ["a"]\n    "rules": {}}\n}\n';
    await writeFile(store.file, corrupt);
    await utimes(store.file, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    const error = await store.all().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RoleStoreError);
    expect(error).toMatchObject({ file: store.file, line: 4, col: 5 });
    expect((error as Error).message).toBe(
      `${store.file}:4:5: not valid JSON: Unexpected character ('"' (code 34)): was expecting comma to separate Object entries; the file was left as it is`,
    );
    await expect(store.put('m2', mapping(['b']))).rejects.toBeInstanceOf(RoleStoreError);
    await expect(store.delete('m1')).rejects.toBeInstanceOf(RoleStoreError);
    expect(await readFile(store.file, 'utf8')).toBe(corrupt);
  });

  it('refuses a file holding a mapping ES would reject, naming the mapping and its line', async () => {
    const text = `{\n  "good": ${JSON.stringify(mapping(['a']))},\n  "bad": {"enabled": true, "roles": ["a"], "rules": {"except": {"field": {"username": "x"}}}}\n}\n`;
    await store.put('seed', mapping(['s']));
    await writeFile(store.file, text);
    await utimes(store.file, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    await expect(store.all()).rejects.toMatchObject({
      line: 3,
      col: 3,
      reason: 'role mapping [bad] is not valid: parse_exception: failed to parse rules expression. field [except] is not allowed within [rules]',
    });
  });

  it('moves a corrupt file aside on request, keeping its bytes, and starts empty', async () => {
    await store.put('m1', mapping(['a']));
    await writeFile(store.file, '{ not json');
    await utimes(store.file, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    const aside = await store.moveAside();
    expect(path.basename(aside)).toMatch(/^role-mappings\.json\.bad-\d{4}-\d\d-\d\dT/);
    expect(await readFile(aside, 'utf8')).toBe('{ not json');
    expect(await store.all()).toEqual({});
    expect(await store.put('m2', mapping(['b']))).toEqual({ created: true });
    expect((await readdir(path.dirname(store.file))).sort()).toEqual([path.basename(aside), 'role-mappings.json'].sort());
  });
});
