/**
 * What aedes gets instead of the client's connection (`aedes.handle(link.connection)`).
 *
 * aedes 2.0.0-beta.1 cannot take part in enhanced authentication (it refuses a CONNECT with an
 * Authentication Method and drops the connection on AUTH), so the gateway owns the client's
 * connection and gives aedes this link. Whatever aedes writes comes out through `output` for
 * the gateway to frame, inspect and forward.
 *
 * The client's packets go in already parsed. The gateway parses every packet anyway (its checks:
 * UTF-8 strings, re-authentication, a second CONNECT), so the link hands aedes the packet object
 * where aedes's own reader would have put it (its mqtt-packet parser's 'packet' event) instead of
 * the bytes, which aedes would parse a second time. Measured (broker.bench.ts): QoS 1 PUBLISH
 * bursts through the gateway 0.76 → 0.86–0.95× plain aedes, anonymous connects a few % faster.
 */
import { EventEmitter } from 'node:events';
import type { Aedes, Client } from 'aedes';
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

/** Bytes aedes may have on their way to the client before its writes return false (as a socket's default). */
const HIGH_WATER = 16 * 1024;

/**
 * Not a Duplex: aedes reads nothing from it (packets arrive through deliver), and it writes with
 * cork/write/uncork and waits for 'drain' when a write returns false. A Duplex's two stream
 * states, its write queue and its destroy sequence cost about 1–2 % of an anonymous connect
 * (broker.bench.ts); so does the premature-close error Node's `finished` makes for a Duplex
 * destroyed before its end, which aedes's `finished(conn)` waits on. This is what aedes 2.0.0-beta.1
 * uses of its connection (lib/client.js, lib/write.js, mqtt-packet's writeToStream), checked by
 * broker-aedes-link.test.ts.
 */
export class AedesLink extends EventEmitter {
  private reader: ClientReader | undefined;
  destroyed = false;
  /** What Node's `finished` reads of a stream without states: false once destroyed, so its close is a finish. */
  writable = true;
  private corks = 0;
  private corked: Buffer[] = [];
  /** Bytes handed to the gateway that the client's connection has not taken yet. */
  private unsent = 0;
  private needDrain = false;

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

  /** For `aedes.handle`, typed for sockets and streams: it uses only what this class has (see above). */
  get connection(): Parameters<Aedes['handle']>[0] {
    return this as unknown as Parameters<Aedes['handle']>[0];
  }

  /** The Client `aedes.handle(link.connection)` made: packets go to it from now on. */
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
    if (!this.destroyed) this.emit('end');
  }

  /** aedes reads when told a batch is done: nothing is ever buffered here to read. */
  read(): null {
    return null;
  }

  // mqtt-packet corks around each packet and uncorks on the next tick: a packet goes out whole.
  cork(): void {
    this.corks++;
  }

  uncork(): void {
    if (this.corks > 0 && --this.corks === 0) this.flush();
  }

  /**
   * mqtt-packet writes strings too (topics, client ids: `write(text, 'utf8')`), which a stream
   * would have turned into bytes. A write after the end is dropped (true: aedes must not wait
   * for a drain that never comes).
   */
  write(data: Buffer | string, encoding?: BufferEncoding): boolean {
    if (this.destroyed) return true;
    const chunk = typeof data === 'string' ? Buffer.from(data, typeof encoding === 'string' ? encoding : 'utf8') : data;
    this.corked.push(chunk);
    this.unsent += chunk.length;
    if (this.corks === 0) this.flush();
    if (this.unsent < HIGH_WATER) return true;
    this.needDrain = true;
    return false;
  }

  private flush(): void {
    const chunks = this.corked;
    if (chunks.length === 0 || this.destroyed) return;
    this.corked = [];
    let length = 0;
    for (const chunk of chunks) length += chunk.length;
    this.handlers.output(chunks, () => this.sent(length));
  }

  private sent(length: number): void {
    this.unsent -= length;
    if (this.needDrain && this.unsent < HIGH_WATER && !this.destroyed) {
      this.needDrain = false;
      this.emit('drain');
    }
  }

  /** Closes aedes's side: the gateway hears of it at once, aedes's listeners at the next tick (as a stream's 'close'). */
  destroy(error?: Error | null): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.writable = false;
    this.corked = [];
    this.handlers.closed(error ?? null);
    process.nextTick(() => {
      if (error && this.listenerCount('error') > 0) this.emit('error', error);
      this.emit('close');
    });
    return this;
  }
}
