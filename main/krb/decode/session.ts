/**
 * Builds a decode session from what the user supplied — keytabs, passwords, raw keys — so the
 * decoders can open encrypted parts, and learn more keys as they go.
 */
import { getEnctype, SUPPORTED_ENCTYPES } from '../crypto';
import { KrbCryptoError } from '../errors';
import type { CcacheCredential } from '../ccache';
import type { KeytabEntry } from '../keytab';
import { enctypeId, enctypeName, formatPrincipal, parsePrincipal } from '../names';
import { KeyRing, type DecodeSession, type KeyEntry, type SaltHint } from './keyring';

export type KeySpec =
  | { kind: 'keytab'; label: string; entries: readonly KeytabEntry[] }
  /** A ccache's session keys: what a client holds, enough to open its authenticators and AP-REPs. */
  | { kind: 'ccache'; label: string; credentials: readonly Pick<CcacheCredential, 'server' | 'keyEnctype' | 'key'>[] }
  | { kind: 'password'; principal: string; password: string; salt?: string }
  | { kind: 'raw'; enctype: number; key: Buffer };

/** "aes256-cts-hmac-sha1-96:00112233…" or "18:…" → a raw key spec. */
export function parseRawKey(text: string): Extract<KeySpec, { kind: 'raw' }> {
  const match = /^([^:]+):([0-9a-fA-F\s]+)$/.exec(text.trim());
  if (!match) throw new KrbCryptoError('bad-input', `key "${text}" is not ETYPE:HEX (e.g. aes256-cts-hmac-sha1-96:0011…)`);
  const id = enctypeId(match[1]!);
  if (id === undefined) throw new KrbCryptoError('unsupported-enctype', `unknown enctype "${match[1]}"`);
  const key = Buffer.from(match[2]!.replace(/\s/g, ''), 'hex');
  const enctype = getEnctype(id);
  if (enctype && key.length !== enctype.keyLength) {
    throw new KrbCryptoError('bad-key', `${enctypeName(id)} keys are ${enctype.keyLength} bytes, this one is ${key.length}`);
  }
  return { kind: 'raw', enctype: id, key };
}

function defaultSalt(principal: string): string {
  const p = parsePrincipal(principal);
  return p.realm + p.components.join('');
}

function passwordKey(spec: Extract<KeySpec, { kind: 'password' }>, etype: number, salt: string, params: Buffer | undefined, saltOrigin: string): KeyEntry | undefined {
  const enctype = getEnctype(etype);
  if (!enctype) return undefined;
  try {
    return {
      enctype: etype,
      key: enctype.stringToKey(spec.password, salt, params),
      origin: 'password',
      source: `password for ${spec.principal} (${enctypeName(etype)}, ${saltOrigin} salt "${salt}")`,
      principal: spec.principal,
    };
  } catch (error) {
    if (error instanceof KrbCryptoError) return undefined;
    throw error;
  }
}

/** A ccache's session keys as key-ring entries: what a client holds, one per credential. */
export function ccacheKeyEntries(spec: Omit<Extract<KeySpec, { kind: 'ccache' }>, 'kind'>): KeyEntry[] {
  return spec.credentials.map((c) => ({ enctype: c.keyEnctype, key: c.key, origin: 'ccache', source: `ccache ${spec.label}: session key for ${formatPrincipal(c.server)}` }));
}

export function createDecodeSession(specs: readonly KeySpec[]): DecodeSession {
  const keyring = new KeyRing();
  const passwords = specs.filter((s): s is Extract<KeySpec, { kind: 'password' }> => s.kind === 'password');
  for (const spec of specs) {
    if (spec.kind === 'keytab') {
      for (const entry of spec.entries) {
        const principal = formatPrincipal(entry.principal);
        keyring.add({
          enctype: entry.enctype,
          key: entry.key,
          origin: 'keytab',
          source: `keytab ${spec.label}: ${principal} kvno ${entry.kvno} ${enctypeName(entry.enctype)}`,
          principal,
          kvno: entry.kvno,
        });
      }
    } else if (spec.kind === 'ccache') {
      for (const entry of ccacheKeyEntries(spec)) keyring.add(entry);
    } else if (spec.kind === 'raw') {
      keyring.add({ enctype: spec.enctype, key: spec.key, origin: 'raw', source: `raw ${enctypeName(spec.enctype)} key` });
    } else {
      const salt = spec.salt ?? defaultSalt(spec.principal);
      const origin = spec.salt !== undefined ? 'given' : 'default';
      for (const etype of SUPPORTED_ENCTYPES) keyring.addPending(etype, () => passwordKey(spec, etype, salt, undefined, origin));
    }
  }
  return {
    keyring,
    // A KDC's ETYPE-INFO2 names the salt (and iteration count) it really uses: derive password
    // keys with those too, since AD and renamed principals do not use the default salt.
    learnSalts(hints: SaltHint[]) {
      for (const spec of passwords) {
        if (spec.salt !== undefined) continue;
        for (const hint of hints) {
          const entry = passwordKey(spec, hint.etype, hint.salt ?? defaultSalt(spec.principal), hint.s2kparams, 'ETYPE-INFO2');
          if (entry) keyring.add(entry);
        }
      }
    },
  };
}
