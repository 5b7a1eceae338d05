/**
 * The stream aedes gets instead of the client's connection (`aedes.handle(link)`).
 *
 * aedes 2.0.0-beta.1 cannot take part in enhanced authentication (it refuses a CONNECT with an
 * Authentication Method and drops the connection on AUTH), so the gateway owns the client's
 * connection and gives aedes this Duplex: the gateway pushes the client's packets in (the CONNECT
 * without its auth properties, then everything but AUTH); whatever aedes writes comes out through
 * `output` for the gateway to frame, inspect and forward.
 */
import { Duplex } from 'node:stream';
import type { Admission } from './gateway';

export interface AedesLinkHandlers {
  /** aedes wrote these bytes (pieces of packets: mqtt-packet writes one packet in several writes). */
  output(chunks: Buffer[], done: (error?: Error | null) => void): void;
  /** aedes read what was pushed: the client's connection may flow again. */
  drained(): void;
  /** aedes closed (destroyed) the connection, with the error that made it, if any. */
  closed(error: Error | null): void;
}

export class AedesLink extends Duplex {
  /**
   * @param admission what the gateway decided: aedes's `authenticate` hook admits a connection
   * only when it arrives on a link that carries one.
   */
  constructor(
    readonly admission: Admission,
    private readonly handlers: AedesLinkHandlers,
  ) {
    super();
  }

  /**
   * Hands aedes one whole packet from the client. False: aedes has not caught up, stop reading
   * the client until `drained`.
   */
  deliver(packet: Buffer): boolean {
    if (this.destroyed) return true;
    return this.push(packet);
  }

  /** The client ended its side: aedes sees 'end' and closes its client. */
  endOfInput(): void {
    if (!this.destroyed) this.push(null);
  }

  override _read(): void {
    this.handlers.drained();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.handlers.output([chunk], done);
  }

  // mqtt-packet corks the stream around each packet, so a whole packet usually arrives here at once.
  override _writev(chunks: Array<{ chunk: Buffer }>, done: (error?: Error | null) => void): void {
    this.handlers.output(
      chunks.map((c) => c.chunk),
      done,
    );
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.handlers.closed(error);
    // The error already reached the gateway; re-emitting it would only reach aedes's no-op handler.
    done(null);
  }
}
