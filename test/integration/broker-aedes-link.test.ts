/**
 * The AedesLink against a real aedes, in process (no sockets): the gateway hands aedes parsed
 * packets through aedes's own parser event, and learns from aedes's batch count when to read the
 * client again. An aedes whose Client no longer has those internals must fail loudly. The link
 * is not a stream: what aedes, mqtt-packet and Node's `finished` use of a connection is checked
 * here (strings written as bytes, a corked packet out whole, 'drain' after a full buffer, the
 * close sequence).
 */
import { finished } from 'node:stream';
import { Aedes, type Client } from 'aedes';
import { generate, type IConnectPacket, type IPublishPacket, type ISubscribePacket } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AedesLink } from '../../main/broker/aedes-link';
import { PacketFramer, PacketType } from '../../main/broker/framing';
import type { Admission } from '../../main/broker/gateway';

const admission: Admission = { listener: { name: 'test', protocol: 'tcp' }, remoteAddress: '127.0.0.1:1' };

let aedes: Aedes;
/** aedes's authorizePublish holds each PUBLISH until this settles. */
let publishGate: Promise<void> = Promise.resolve();

beforeAll(async () => {
  aedes = await Aedes.createBroker({
    authenticate: (_client, _username, _password, done) => done(null, true),
    authorizePublish: (_client, _packet, done) => void publishGate.then(() => done(null)),
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => aedes.close(() => resolve()));
});

/** A link handed to aedes, with what aedes wrote (as packet types) and how often it drained. */
function linked(): { link: AedesLink; written: number[]; drains: () => number } {
  const written: number[] = [];
  const framer = new PacketFramer();
  let drains = 0;
  const link = new AedesLink(admission, {
    output: (chunks, done) => {
      for (const chunk of chunks) for (const frame of framer.push(chunk).packets) written.push(frame.header.type);
      done();
    },
    drained: () => void drains++,
    closed: () => undefined,
  });
  link.attach(aedes.handle(link.connection));
  return { link, written, drains: () => drains };
}

const connect = (clientId: string): IConnectPacket => ({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId, clean: true, keepalive: 0 });
const publish = (n: number): IPublishPacket => ({ cmd: 'publish', topic: 'link/test', payload: Buffer.from([n]), qos: 0, retain: false, dup: false });

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 3 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('AedesLink', () => {
  it('hands aedes a parsed CONNECT: aedes is busy with it (read no further), answers CONNACK, then drains', async () => {
    const { link, written, drains } = linked();
    expect(link.deliver(connect('link-connect'))).toBe(false);
    await until(() => written.includes(PacketType.CONNACK));
    await until(() => drains() > 0);
    link.destroy();
  });

  it('keeps the client paused while aedes holds a PUBLISH, and drains when it lets go', async () => {
    const { link, written, drains } = linked();
    link.deliver(connect('link-publish'));
    await until(() => written.includes(PacketType.CONNACK) && drains() > 0);
    let open!: () => void;
    publishGate = new Promise((resolve) => (open = resolve));
    const before = drains();
    expect(link.deliver(publish(1))).toBe(false);
    expect(link.deliver(publish(2))).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(drains()).toBe(before);
    open();
    await until(() => drains() > before);
    publishGate = Promise.resolve();
    link.destroy();
  });

  it('delivers to a subscriber: topics mqtt-packet writes as strings reach the client as the bytes a socket would carry', async () => {
    const bytes: Buffer[] = [];
    const subscriber = new AedesLink(admission, { output: (chunks, done) => (bytes.push(Buffer.concat(chunks)), done()), drained: () => undefined, closed: () => undefined });
    subscriber.attach(aedes.handle(subscriber.connection));
    const publisher = linked();
    subscriber.deliver(connect('link-subscriber'));
    publisher.link.deliver(connect('link-publisher'));
    await until(() => bytes.length > 0 && publisher.written.includes(PacketType.CONNACK));
    const subscribe: ISubscribePacket = { cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'link/strings/+', qos: 0 }] };
    subscriber.deliver(subscribe);
    await until(() => bytes.length > 1);
    bytes.length = 0;
    const message = { ...publish(9), topic: 'link/strings/é' };
    publisher.link.deliver(message);
    await until(() => bytes.length > 0);
    // One output per packet (mqtt-packet corks around its pieces), byte for byte what it generates.
    expect(bytes).toEqual([generate(message, { protocolVersion: 5 })]);
    subscriber.destroy();
    publisher.link.destroy();
  });

  it('says a write went too far past what the client took, and drains when the client has taken it', () => {
    const pending: Array<() => void> = [];
    const link = new AedesLink(admission, { output: (_chunks, done) => void pending.push(() => done()), drained: () => undefined, closed: () => undefined });
    let drains = 0;
    link.on('drain', () => drains++);
    expect(link.write(Buffer.alloc(10 * 1024))).toBe(true);
    expect(link.write(Buffer.alloc(10 * 1024))).toBe(false);
    pending.shift()!();
    expect(drains).toBe(1);
    pending.shift()!();
    expect(drains).toBe(1);
    link.cork();
    link.write('ab');
    link.write(Buffer.from('cd'));
    expect(pending).toHaveLength(0);
    link.uncork();
    expect(pending).toHaveLength(1);
  });

  it("closes as a finished connection: the gateway hears at once, aedes's listeners next tick, with no premature-close error", async () => {
    const closed: Array<Error | null> = [];
    const link = new AedesLink(admission, { output: (_chunks, done) => done(), drained: () => undefined, closed: (error) => void closed.push(error) });
    const outcome = new Promise<Error | null | undefined>((resolve) => finished(link.connection, (error) => resolve(error)));
    let closeEvents = 0;
    link.on('close', () => closeEvents++);
    link.destroy();
    link.destroy();
    expect(closed).toEqual([null]);
    expect(closeEvents).toBe(0);
    expect(await outcome).toBeUndefined();
    expect(closeEvents).toBe(1);
    // Whatever aedes writes afterwards is dropped, and never makes it wait for a drain.
    expect(link.write(Buffer.alloc(64 * 1024))).toBe(true);
    const failed = new AedesLink(admission, { output: (_chunks, done) => done(), drained: () => undefined, closed: (error) => void closed.push(error) });
    const errors: Error[] = [];
    failed.on('error', (error: Error) => errors.push(error));
    failed.destroy(new Error('keep alive timeout'));
    expect(closed.at(-1)?.message).toBe('keep alive timeout');
    await new Promise((resolve) => process.nextTick(resolve));
    expect(errors.map((e) => e.message)).toEqual(['keep alive timeout']);
  });

  it('refuses an aedes whose Client lacks what the link drives, naming it', () => {
    const link = new AedesLink(admission, { output: (_chunks, done) => done(), drained: () => undefined, closed: () => undefined });
    expect(() => link.attach({} as Client)).toThrow(/aedes has changed: its Client has no _parser, _parsingBatch or _nextBatch/);
  });
});
