/**
 * The Kerberos CRC-32 of RFC 3961 §6.1.3 ("mod-crc-32"), the checksum des-cbc-crc hides inside
 * its ciphertext. It is the ISO 3309 / ITU-T V.42 polynomial 0x04C11DB7 processed bit-reversed
 * (table 0xEDB88320), but unlike zlib's CRC-32 it starts from 0 and is not complemented at the
 * end, and the 32-bit result goes on the wire least significant byte first. That is what MIT's
 * implementation does, and the RFC 3961 Appendix A.5 vectors pin it down (test/unit/krb/crypto/des.test.ts).
 */

const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c >>> 0;
}

/** mod-crc-32(data) as the 4 octets Kerberos sends. */
export function modCrc32(data: Uint8Array): Buffer {
  let crc = 0;
  for (const byte of data) crc = TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32LE(crc >>> 0, 0);
  return out;
}
