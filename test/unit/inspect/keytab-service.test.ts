/**
 * The Keytab service's remove-by-selector and merge, called directly (the CLI's `keytab remove` and
 * `keytab merge` are adapters over these; test/integration/keytab-mit.test.ts checks them with klist).
 */
import { describe, expect, it } from 'vitest';
import type { FileSource } from '../../../main/api/inspect';
import { KeytabServiceImpl } from '../../../main/inspect/service';

const service = new KeytabServiceImpl();

/** A keytab made by the service itself: each spec's keys derived from "pw" (deterministic but for the timestamp). */
async function keytabOf(specs: { principal: string; kvno: number; enctypes: string[] }[]): Promise<FileSource> {
  let source: FileSource | null = null;
  for (const spec of specs) {
    const doc = await service.add(source, { ...spec, password: 'pw' }, false);
    source = { base64: doc.base64, name: 'test.keytab' };
  }
  return source!;
}

describe('KeytabService.remove with a selector', () => {
  it('removes a principal in any realm when none is given, narrowed by kvno and enctype, and writes the rest as 0x0502', async () => {
    const source = await keytabOf([
      { principal: 'svc/h@A.TEST', kvno: 2, enctypes: ['aes256-cts-hmac-sha1-96', 'arcfour-hmac'] },
      { principal: 'svc/h@B.TEST', kvno: 2, enctypes: ['aes256-cts-hmac-sha1-96'] },
      { principal: 'svc/h@A.TEST', kvno: 3, enctypes: ['aes256-cts-hmac-sha1-96'] },
    ]);
    const one = await service.remove(source, { principal: 'svc/h@A.TEST', kvno: 2, enctype: 'arcfour-hmac' }, false);
    expect(one.removed.map((e) => `${e.principal} ${e.kvno} ${e.enctype}`)).toEqual(['svc/h@A.TEST 2 arcfour-hmac']);
    expect(one.entries).toHaveLength(3);
    expect(one.version).toBe(0x502);
    const anyRealm = await service.remove(source, { principal: 'svc/h', kvno: 2 }, false);
    expect(anyRealm.removed.map((e) => e.principal)).toEqual(['svc/h@A.TEST', 'svc/h@A.TEST', 'svc/h@B.TEST']);
    expect(anyRealm.entries.map((e) => e.kvno)).toEqual([3]);
  });

  it('fails naming the keytab and what matched nothing; refuses an unknown enctype', async () => {
    const source = await keytabOf([{ principal: 'alice@A.TEST', kvno: 1, enctypes: ['aes128-cts-hmac-sha1-96'] }]);
    await expect(service.remove(source, { principal: 'bob@A.TEST', kvno: 4, enctype: 'aes128' }, false)).rejects.toThrow('no entry of test.keytab matches bob@A.TEST kvno 4 aes128-cts-hmac-sha1-96');
    await expect(service.remove(source, { principal: 'alice@A.TEST', enctype: 'des-nonsense' }, false)).rejects.toThrow('unknown enctype "des-nonsense"');
  });

  it('still removes by index, as the Keytab view does, and says what it removed', async () => {
    const source = await keytabOf([{ principal: 'alice@A.TEST', kvno: 1, enctypes: ['aes128-cts-hmac-sha1-96', 'aes256-cts-hmac-sha1-96'] }]);
    const doc = await service.remove(source, [1], false);
    expect(doc.removed.map((e) => e.enctype)).toEqual(['aes256-cts-hmac-sha1-96']);
    expect(doc.entries.map((e) => e.enctype)).toEqual(['aes128-cts-hmac-sha1-96']);
  });
});

describe('KeytabService.merge', () => {
  it('merges in order, a later entry replacing an earlier one in the same slot, in place', async () => {
    const first = await keytabOf([
      { principal: 'alice@A.TEST', kvno: 1, enctypes: ['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha1-96'] },
    ]);
    const second = await keytabOf([{ principal: 'bob@A.TEST', kvno: 1, enctypes: ['aes256-cts-hmac-sha1-96'] }]);
    const other = await service.add(null, { principal: 'alice@A.TEST', kvno: 1, enctypes: ['aes256-cts-hmac-sha1-96'], password: 'other' }, true);
    const merged = await service.merge([first, second, { base64: other.base64, name: 'other.keytab' }], true);
    expect(merged.replaced).toBe(1);
    expect(merged.entries.map((e) => `${e.principal} ${e.enctype}`)).toEqual(['alice@A.TEST aes256-cts-hmac-sha1-96', 'alice@A.TEST aes128-cts-hmac-sha1-96', 'bob@A.TEST aes256-cts-hmac-sha1-96']);
    expect(merged.entries[0]!.key).toBe(other.entries[0]!.key);
  });

  it('refuses a damaged input instead of merging what could be read of it', async () => {
    const good = await keytabOf([{ principal: 'alice@A.TEST', kvno: 1, enctypes: ['aes128-cts-hmac-sha1-96'] }]);
    const bytes = Buffer.from((good as { base64: string }).base64, 'base64');
    const damaged = { base64: bytes.subarray(0, bytes.length - 5).toString('base64'), name: 'cut.keytab' };
    await expect(service.merge([good, damaged], false)).rejects.toThrow(/^cut\.keytab: /);
  });
});
