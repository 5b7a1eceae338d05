/**
 * Typed errors of the Kerberos codecs. Bad bytes never produce a bare Error: they produce a
 * KrbDecodeError naming the structure, the field and the byte offset, so the user reads
 * "Ticket.enc-part.cipher at byte 212: length 4096 runs past the end of the input (300 bytes)".
 */
export class KrbDecodeError extends Error {
  constructor(
    /** The structure being decoded, e.g. "AP-REQ", "keytab entry", "ccache credential". */
    readonly structure: string,
    /** The field within it, dotted for nesting: "ticket.enc-part.cipher". */
    readonly field: string,
    /** Absolute byte offset in the input where the problem was found. */
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${structure}${field ? `.${field}` : ''} at byte ${offset}: ${reason}`);
    this.name = 'KrbDecodeError';
  }
}

/** A cryptographic operation failed: wrong key, corrupted ciphertext, unsupported enctype. */
export class KrbCryptoError extends Error {
  constructor(
    readonly code: 'integrity' | 'unsupported-enctype' | 'bad-key' | 'bad-input',
    message: string,
  ) {
    super(message);
    this.name = 'KrbCryptoError';
  }
}
