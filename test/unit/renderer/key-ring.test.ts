/**
 * The Decoder's key ring as it is kept (files by path, never secrets), key-match verdicts in
 * words, and who can open a sealed part from each side.
 */
import { describe, expect, it } from 'vitest';
import type { KeyMatchVerdict } from '../../../main/api/inspect';
import { keptKeys, keyLabel, keySourcesOf, verdictWords } from '../../../renderer/src/utils/key-ring';
import { sealedHint } from '../../../renderer/src/utils/sealed';

const verdict = (v: Partial<KeyMatchVerdict>): KeyMatchVerdict => ({
  principal: 'mqtt/localhost@BENCH.TEST',
  kvno: 2,
  enctype: 'aes256-cts-hmac-sha1-96',
  enctypeId: 18,
  principalMatches: true,
  kvnoMatches: true,
  enctypeMatches: true,
  decrypts: true,
  ...v,
});

describe("the Decoder's key ring", () => {
  it('keeps keytab and ccache files by path and nothing secret, and reads back only what it kept', () => {
    const { kept, left } = keptKeys([
      { kind: 'keytab', source: { path: '/lab/service.keytab' } },
      { kind: 'ccache', source: { path: '/lab/alice.ccache' } },
      { kind: 'keytab', source: { base64: 'BQI=', name: 'picked.keytab' } },
      { kind: 'password', principal: 'alice@BENCH.TEST', password: 'secret' },
      { kind: 'raw', key: 'aes256-cts-hmac-sha1-96:00' },
    ]);
    expect(kept).toEqual([
      { kind: 'keytab', path: '/lab/service.keytab' },
      { kind: 'ccache', path: '/lab/alice.ccache' },
    ]);
    expect(left).toBe(3);
    expect(JSON.stringify(kept)).not.toMatch(/secret|BQI=/);
    expect(keySourcesOf([...kept, { kind: 'raw', key: 'x' }, null, { kind: 'keytab', path: '' }])).toEqual([
      { kind: 'keytab', source: { path: '/lab/service.keytab' } },
      { kind: 'ccache', source: { path: '/lab/alice.ccache' } },
    ]);
    expect(keySourcesOf('not a list')).toEqual([]);
    expect(keyLabel({ kind: 'ccache', source: { path: '/lab/alice.ccache' } })).toBe('ccache /lab/alice.ccache');
    expect(keyLabel({ kind: 'password', password: 'secret' })).toBe('password for the client the input names');
  });

  it('says each verdict in words', () => {
    expect(verdictWords(verdict({}))).toBe('decrypts the ticket');
    expect(verdictWords(verdict({ kvnoMatches: false }))).toBe('decrypts the ticket (its kvno differs)');
    expect(verdictWords(verdict({ decrypts: false, kvnoMatches: false }))).toBe('wrong key: same enctype, does not decrypt (another kvno)');
    expect(verdictWords(verdict({ decrypts: false }))).toBe('wrong key: same enctype, does not decrypt (another key with the same kvno)');
    expect(verdictWords(verdict({ decrypts: null, enctypeMatches: false }))).toBe('not tried: another enctype than the ticket');
  });

  it('says who can open a sealed part, from each side', () => {
    expect(sealedHint({ key: 'service key' }, { side: 'client', server: 'Broker' })).toBe("the broker's view opens it");
    expect(sealedHint({ key: 'session key' }, { side: 'server', client: 'Client' })).toBe("the client's view opens it");
    expect(sealedHint({ key: 'service key' }, { side: 'observer' })).toBe('open it in the Decoder with the service keytab');
    expect(sealedHint({ key: 'service key' }, { side: 'decoder' })).toBe('add the service keytab under Keys to open it');
  });
});
