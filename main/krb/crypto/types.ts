/**
 * The RFC 3961 framework as an interface: one EncryptionType object per enctype. Everything
 * that encrypts, decrypts, derives or checksums goes through here.
 */
export interface EncryptionType {
  /** Enctype number, e.g. 18. */
  id: number;
  /** MIT name, e.g. "aes256-cts-hmac-sha1-96". */
  name: string;
  /** Protocol key length in bytes (8 for DES, 24 for triple DES, 16 or 32 for AES and Camellia, 16 for RC4). */
  keyLength: number;
  /** The checksum type that goes with this enctype (RFC 3961 "required checksum mechanism"). */
  checksumType: number;
  /**
   * Length of checksum()'s output, the keyed checksum of `checksumType`. Every enctype but the
   * single-DES ones also appends an integrity tag of this length to its ciphertext; des-cbc-crc
   * and des-cbc-md5 hide an unkeyed CRC-32 (4) or MD5 (16) inside it instead (RFC 3961 §6.2).
   */
  checksumLength: number;
  /** Confounder length prepended to plaintext before encryption. */
  confounderLength: number;
  /**
   * RFC 3961 "message block size": the plaintext is zero-padded to a multiple of it before
   * encryption. 1 for the stream and CTS enctypes, 8 for the DES family, whose decrypt returns
   * the plaintext with that padding (the DER inside says where the message ends).
   */
  messageBlockSize: number;
  /**
   * RFC 3961 string-to-key. `salt` is usually REALM + name components (MIT "normal" salt).
   * `params` is the s2kparams octet string (e.g. iteration count, big-endian uint32) when given.
   */
  stringToKey(password: string | Uint8Array, salt: string | Uint8Array, params?: Uint8Array): Buffer;
  /** A fresh random protocol key. */
  randomKey(): Buffer;
  /**
   * Encrypts with the key usage's derived keys: confounder | plaintext, then integrity.
   * `confounder` is for known-answer tests only; normally random.
   */
  encrypt(key: Uint8Array, usage: number, plaintext: Uint8Array, confounder?: Uint8Array): Buffer;
  /**
   * Decrypts and verifies integrity; throws KrbCryptoError('integrity') with the wrong key.
   * Padded enctypes (messageBlockSize > 1) return the zero padding too.
   */
  decrypt(key: Uint8Array, usage: number, ciphertext: Uint8Array): Buffer;
  /**
   * decrypt() for trial decryption: null when the integrity check fails — the everyday answer of
   * a wrong key, made without an Error and its stack trace. Bad input (a key of the wrong length,
   * a ciphertext too short for the enctype) still throws KrbCryptoError.
   */
  tryDecrypt(key: Uint8Array, usage: number, ciphertext: Uint8Array): Buffer | null;
  /** Keyed checksum of `data` for `usage` (the enctype's own checksum type). */
  checksum(key: Uint8Array, usage: number, data: Uint8Array): Buffer;
  /**
   * Checks `expected` against data in constant time. Usually a comparison with checksum(key,
   * usage, data); rsa-md5-des carries a random confounder, so it is decrypted and checked.
   */
  verifyChecksum(key: Uint8Array, usage: number, data: Uint8Array, expected: Uint8Array): boolean;
}
