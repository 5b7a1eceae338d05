/**
 * The AedesLink against a real aedes, in process (no sockets): the gateway hands aedes parsed
 * packets through aedes's own parser event, and learns from aedes's batch count when to read the
 * client again. An aedes whose Client no longer has those internals must fail loudly.
 */
import { Aedes, type Client } from 'aedes';
import type { IConnectPacket, IPublishPacket } from 'mqtt-packet';
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
  link.attach(aedes.handle(link));
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

  it('refuses an aedes whose Client lacks what the link drives, naming it', () => {
    const link = new AedesLink(admission, { output: (_chunks, done) => done(), drained: () => undefined, closed: () => undefined });
    expect(() => link.attach({} as Client)).toThrow(/aedes has changed: its Client has no _parser, _parsingBatch or _nextBatch/);
  });
});
