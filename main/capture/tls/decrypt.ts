/**
 * TLS record decryption for the AEAD suites, from the secrets of a key log.
 *
 * TLS 1.2 (RFC 5246 §5, §6.3; RFC 5288; RFC 7905):
 *   key_block = PRF(master_secret, "key expansion", server_random + client_random), PRF = P_<hash>
 *   with the suite's hash; it splits into client/server MAC keys (none for AEAD), client/server
 *   write keys and client/server write IVs (4 bytes for GCM, 12 for ChaCha20-Poly1305).
 *   GCM: nonce = write_IV(4) || explicit nonce (first 8 bytes of the record).
 *   ChaCha20-Poly1305: nonce = write_IV XOR seq (left-padded to 12 bytes), no explicit part.
 *   additional_data = seq_num(8) || type || version || length of the plaintext.
 * TLS 1.3 (RFC 8446 §5.2, §5.3, §7.1, §7.3):
 *   key = HKDF-Expand-Label(secret, "key", "", key_length), iv = HKDF-Expand-Label(secret, "iv", "", 12)
 *   nonce = iv XOR seq; additional_data = the record header; the plaintext ends with the real
 *   content type followed by zero padding. KeyUpdate: secret' = HKDF-Expand-Label(secret, "traffic upd", "", Hash.length).
 * Sequence numbers start at 0 for each direction and each key, and count every record.
 */
import { createDecipheriv, createHmac, type CipherGCMTypes, type DecipherGCM } from 'node:crypto';

export type AeadCipher = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
export type SuiteHash = 'sha256' | 'sha384';

export interface TlsSuite {
  id: number;
  /** The IANA name. */
  name: string;
  /** 13 for TLS 1.3 suites, 12 for TLS 1.2 ones. */
  tls: 12 | 13;
  cipher: AeadCipher;
  hash: SuiteHash;
}

const suite = (id: number, name: string, tls: 12 | 13, cipher: AeadCipher, hash: SuiteHash): [number, TlsSuite] => [id, { id, name, tls, cipher, hash }];

/** The suites the bench decrypts (IANA TLS Cipher Suites registry). */
export const TLS_SUITES: ReadonlyMap<number, TlsSuite> = new Map([
  suite(0x1301, 'TLS_AES_128_GCM_SHA256', 13, 'aes-128-gcm', 'sha256'),
  suite(0x1302, 'TLS_AES_256_GCM_SHA384', 13, 'aes-256-gcm', 'sha384'),
  suite(0x1303, 'TLS_CHACHA20_POLY1305_SHA256', 13, 'chacha20-poly1305', 'sha256'),
  suite(0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256', 12, 'aes-128-gcm', 'sha256'),
  suite(0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384', 12, 'aes-256-gcm', 'sha384'),
  suite(0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 12, 'aes-128-gcm', 'sha256'),
  suite(0x009f, 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 12, 'aes-256-gcm', 'sha384'),
  suite(0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 12, 'aes-128-gcm', 'sha256'),
  suite(0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 12, 'aes-256-gcm', 'sha384'),
  suite(0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 12, 'aes-128-gcm', 'sha256'),
  suite(0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 12, 'aes-256-gcm', 'sha384'),
  suite(0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 12, 'chacha20-poly1305', 'sha256'),
  suite(0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 12, 'chacha20-poly1305', 'sha256'),
  suite(0xccaa, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 12, 'chacha20-poly1305', 'sha256'),
]);

/** The suite's IANA name when the bench knows it, else "0xc013". */
export function suiteName(id: number): string {
  return TLS_SUITES.get(id)?.name ?? `0x${id.toString(16).padStart(4, '0')}`;
}

const KEY_LENGTH: Record<AeadCipher, number> = { 'aes-128-gcm': 16, 'aes-256-gcm': 32, 'chacha20-poly1305': 32 };
const HASH_LENGTH: Record<SuiteHash, number> = { sha256: 32, sha384: 48 };
const TAG_LENGTH = 16;
const NONCE_LENGTH = 12;
/** RFC 5288 §3: the GCM nonce's implicit salt and explicit part. */
const GCM_SALT_LENGTH = 4;
const GCM_EXPLICIT_NONCE_LENGTH = 8;
/** RFC 8446 §5.2: at most 2^14 + 1 bytes of inner plaintext. */
const TLS13_MAX_INNER = 16384 + 1;

const concat = (...parts: Uint8Array[]): Buffer => Buffer.concat(parts);

/** RFC 5246 §5: PRF(secret, label, seed) = P_hash(secret, label + seed), `length` bytes. */
export function prf12(hash: SuiteHash, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Buffer {
  const labelSeed = concat(Buffer.from(label, 'latin1'), seed);
  const out: Buffer[] = [];
  let produced = 0;
  let a: Buffer = labelSeed; // A(0)
  while (produced < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(labelSeed).digest();
    out.push(block);
    produced += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** RFC 5869 §2.3 HKDF-Expand. */
function hkdfExpand(hash: SuiteHash, prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const out: Buffer[] = [];
  let t: Buffer = Buffer.alloc(0);
  for (let i = 1, produced = 0; produced < length; i++) {
    t = createHmac(hash, prk).update(t).update(info).update(Buffer.of(i)).digest();
    out.push(t);
    produced += t.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** RFC 8446 §7.1: HKDF-Expand(secret, HkdfLabel{length, "tls13 " + label, context}, length). */
export function hkdfExpandLabel(hash: SuiteHash, secret: Uint8Array, label: string, context: Uint8Array, length: number): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = concat(Buffer.of(length >> 8, length & 0xff, fullLabel.length), fullLabel, Buffer.of(context.length), context);
  return hkdfExpand(hash, secret, info, length);
}

/** RFC 8446 §7.2: the next application traffic secret after a KeyUpdate. */
export function nextTrafficSecret(hash: SuiteHash, secret: Uint8Array): Buffer {
  return hkdfExpandLabel(hash, secret, 'traffic upd', new Uint8Array(0), HASH_LENGTH[hash]);
}

export type OpenResult = { ok: true; type: number; plaintext: Uint8Array } | { ok: false; reason: string };

/** One direction's read state: keys and the next sequence number. */
export interface RecordProtection {
  /** Decrypts one protected record (its header fields and fragment); advances the sequence number. */
  open(type: number, version: number, fragment: Uint8Array): OpenResult;
  /** The sequence number of the next record. */
  readonly sequence: number;
}

/** The nonce IV XOR seq (RFC 8446 §5.3, RFC 7905 §2). */
function xorNonce(iv: Uint8Array, seq: number): Buffer {
  const nonce = Buffer.from(iv);
  let s = seq;
  for (let i = NONCE_LENGTH - 1; i >= NONCE_LENGTH - 8 && s > 0; i--) {
    nonce[i]! ^= s % 256;
    s = Math.floor(s / 256);
  }
  return nonce;
}

function seqBytes(seq: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(seq));
  return bytes;
}

export const AUTH_FAILED = "the key log's secrets do not open this connection (authentication tag mismatch)";

function aeadOpen(cipher: AeadCipher, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Buffer | undefined {
  // ChaCha20-Poly1305 deciphers like GCM (setAAD, setAuthTag); Node's types only list the GCM names.
  const decipher = createDecipheriv(cipher as CipherGCMTypes, key, nonce, { authTagLength: TAG_LENGTH }) as DecipherGCM;
  decipher.setAAD(aad, { plaintextLength: sealed.length - TAG_LENGTH });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
  try {
    const body = decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH));
    const tail = decipher.final();
    return tail.length ? Buffer.concat([body, tail]) : body;
  } catch {
    return undefined;
  }
}

class Tls12Protection implements RecordProtection {
  sequence = 0;
  constructor(
    private readonly cipher: AeadCipher,
    private readonly key: Uint8Array,
    private readonly iv: Uint8Array,
  ) {}

  open(type: number, version: number, fragment: Uint8Array): OpenResult {
    const seq = this.sequence++;
    const gcm = this.cipher !== 'chacha20-poly1305';
    const explicit = gcm ? GCM_EXPLICIT_NONCE_LENGTH : 0;
    if (fragment.length < explicit + TAG_LENGTH) return { ok: false, reason: `a ${fragment.length}-byte record is too short for ${this.cipher}` };
    const nonce = gcm ? concat(this.iv, fragment.subarray(0, explicit)) : xorNonce(this.iv, seq);
    const plaintextLength = fragment.length - explicit - TAG_LENGTH;
    const aad = concat(seqBytes(seq), Buffer.of(type, version >> 8, version & 0xff, plaintextLength >> 8, plaintextLength & 0xff));
    const plaintext = aeadOpen(this.cipher, this.key, nonce, aad, fragment.subarray(explicit));
    return plaintext ? { ok: true, type, plaintext } : { ok: false, reason: AUTH_FAILED };
  }
}

/** RFC 5246 §6.3 for the AEAD suites: the client's and the server's read states. */
export function tls12Protections(
  s: TlsSuite,
  masterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): { client: RecordProtection; server: RecordProtection } {
  const keyLength = KEY_LENGTH[s.cipher];
  const ivLength = s.cipher === 'chacha20-poly1305' ? NONCE_LENGTH : GCM_SALT_LENGTH;
  const block = prf12(s.hash, masterSecret, 'key expansion', concat(serverRandom, clientRandom), 2 * (keyLength + ivLength));
  const clientKey = block.subarray(0, keyLength);
  const serverKey = block.subarray(keyLength, 2 * keyLength);
  const clientIv = block.subarray(2 * keyLength, 2 * keyLength + ivLength);
  const serverIv = block.subarray(2 * keyLength + ivLength);
  return { client: new Tls12Protection(s.cipher, clientKey, clientIv), server: new Tls12Protection(s.cipher, serverKey, serverIv) };
}

/** TLS 1.3: one traffic secret's keys; `update()` moves to the next secret (KeyUpdate). */
export class Tls13Protection implements RecordProtection {
  sequence = 0;
  private key!: Buffer;
  private iv!: Buffer;

  constructor(
    private readonly s: TlsSuite,
    private secret: Uint8Array,
  ) {
    this.derive();
  }

  private derive(): void {
    const empty = new Uint8Array(0);
    this.key = hkdfExpandLabel(this.s.hash, this.secret, 'key', empty, KEY_LENGTH[this.s.cipher]);
    this.iv = hkdfExpandLabel(this.s.hash, this.secret, 'iv', empty, NONCE_LENGTH);
    this.sequence = 0;
  }

  update(): void {
    this.secret = nextTrafficSecret(this.s.hash, this.secret);
    this.derive();
  }

  open(type: number, version: number, fragment: Uint8Array): OpenResult {
    const seq = this.sequence++;
    if (fragment.length < TAG_LENGTH + 1) return { ok: false, reason: `a ${fragment.length}-byte record is too short for ${this.s.cipher}` };
    const aad = Buffer.of(type, version >> 8, version & 0xff, fragment.length >> 8, fragment.length & 0xff);
    const inner = aeadOpen(this.s.cipher, this.key, xorNonce(this.iv, seq), aad, fragment);
    if (!inner) return { ok: false, reason: AUTH_FAILED };
    if (inner.length > TLS13_MAX_INNER) return { ok: false, reason: `${inner.length} bytes of inner plaintext is over the 2^14 + 1 limit` };
    // TLSInnerPlaintext: content || ContentType type || zeros.
    let end = inner.length - 1;
    while (end >= 0 && inner[end] === 0) end--;
    if (end < 0) return { ok: false, reason: 'a TLSInnerPlaintext of only zeros (no content type)' };
    return { ok: true, type: inner[end]!, plaintext: inner.subarray(0, end) };
  }
}
