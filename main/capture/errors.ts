/**
 * A capture file that cannot be read on: a truncated record, a corrupt block. The scan stops
 * there and keeps every Exchange found before it; the message names the block and the offset.
 */
export class CaptureFormatError extends Error {
  constructor(
    /** The structure being read: "pcap file header", "pcapng Enhanced Packet Block", "gzip stream". */
    readonly structure: string,
    /** The field within it: "block total length", "captured length". */
    readonly field: string,
    /** Byte offset in the (decompressed) file. */
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${structure}${field ? ` ${field}` : ''} at byte ${offset}: ${reason}`);
    this.name = 'CaptureFormatError';
  }
}
