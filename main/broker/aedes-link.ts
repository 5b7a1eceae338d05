/**
 * The stream aedes gets instead of the client's connection (`aedes.handle(link)`).
 *
 * aedes 2.0.0-beta.1 cannot take part in enhanced authentication (it refuses a CONNECT with an
 * Authentication Method and drops the connection on AUTH), so the gateway owns the client's
 * connection and gives aedes this Duplex. Whatever aedes writes comes out through `output` for
 * the gateway to frame, inspect and forward.
 *
 * The client's packets go in already parsed. The gateway parses every packet anyway (its checks:
 * UTF-8 strings, re-authentication, a second CONNECT), so the link hands aedes the packet object
 * where aedes's own reader would have put it (its mqtt-packet parser's 'packet' event) instead of
 * the bytes, which aedes would parse a second time. Measured (broker.bench.ts): QoS 1 PUBLISH
 * bursts through the gateway 0.76 → 0.86–0.95× plain aedes, anonymous connects a few % faster.
 */
import type { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import type { Client } from 'aedes';
import type { Packet } from 'mqtt-packet';
import type { Admission } from './gateway';

export interface AedesLinkHandlers {
  /** aedes wrote these bytes (pieces of packets: mqtt-packet writes one packet in several writes). */
  output(chunks: Buffer[], done: (error?: Error | null) => void): void;
  /** aedes has handled every packet given to it: the client's connection may flow again. */
  drained(): void;
  /** aedes closed (destroyed) the connection, with the error that made it, if any. */
  closed(error: Error | null): void;
}

/**
 * What the link uses of aedes 2.0.0-beta.1's Client (lib/client.js): not in its typings, so
 * checked when a client is attached (an aedes that has changed fails the first connection loudly
 * instead of losing packets).
 */
interface ClientReader {
  /** Its mqtt-packet parser: a 'packet' event is how a parsed packet enters aedes (queued until CONNACK, as aedes does). */
  _parser: EventEmitter;
  /** Packets given to aedes and not yet handled; aedes reads its connection again when it is 0. */
  _parsingBatch: number;
  /** What aedes calls after handling each packet (and on resume). */
  _nextBatch: (error?: Error) => void;
}

function readerOf(client: Client): ClientReader {
  const reader = client as unknown as Partial<ClientReader>;
  if (typeof reader._parser?.emit !== 'function' || typeof reader._parsingBatch !== 'number' || typeof reader._nextBatch !== 'function') {
    throw new Error('aedes has changed: its Client has no _parser, _parsingBatch or _nextBatch, so the gateway cannot hand it packets');
  }
  return reader as ClientReader;
}

export class AedesLink extends Duplex {
  private reader: ClientReader | undefined;

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

  /** The Client `aedes.handle(link)` made: packets go to it from now on. */
  attach(client: Client): void {
    const reader = readerOf(client);
    const handled = reader._nextBatch;
    reader._nextBatch = (error?: Error) => {
      handled(error);
      if (reader._parsingBatch === 0) this.handlers.drained();
    };
    // aedes counts its first read of the connection as a batch of one; no read comes here.
    reader._parsingBatch = 0;
    this.reader = reader;
  }

  /**
   * Hands aedes one parsed packet from the client. False: aedes is still handling packets (a
   * PUBLISH waits for persistence, CONNECT for the hooks); stop reading the client until
   * `drained`, as aedes stops reading its own sockets.
   */
  deliver(packet: Packet): boolean {
    const reader = this.reader;
    if (this.destroyed || !reader) return true;
    reader._parser.emit('packet', packet);
    return reader._parsingBatch === 0;
  }

  /** The client ended its side: aedes sees 'end' and closes its client. */
  endOfInput(): void {
    if (!this.destroyed) this.push(null);
  }

  // Nothing is pushed but the end: packets enter through deliver.
  override _read(): void {}

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
