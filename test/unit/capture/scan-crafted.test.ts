/**
 * The whole scan on crafted captures: one MQTT 5 GSSAPI-KERBEROS conversation (a real krb5 token
 * from test/fixtures/world), framed the hard ways a production capture frames it — QinQ VLAN
 * tags, the CONNECT in IPv4 fragments delivered out of order, segments out of order and
 * retransmitted, the Remaining Length split across segments — in a big-endian ns pcap, gzipped;
 * over Linux SLL2 in a pcapng; and cut short (truncated file, corrupt block): the conversation
 * found before the damage is kept and the error names the block and the offset.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePacket } from '../../../main/broker/framing';
import { PcapngWriter, writePcap, type WritablePacket } from '../../../main/capture/pcapng-writer';
import { scanCapture } from '../../../main/capture/scan';
import { parseTokenText } from '../../../main/krb/decode/input';
import { world } from '../../helpers/world';
import { concat, ethernet, ipv4, sll2, tcp } from './net-builders';

const CLIENT = { ip: '10.1.2.3', port: 51000 };
const SERVER = { ip: '10.9.8.7', port: 18830 }; // not an MQTT port: found by content
const token = parseTokenText(world.curlAuthorization);

function mqtt(): { connect: Uint8Array; auth: Uint8Array; connack: Uint8Array; publish: Uint8Array } {
  return {
    connect: generatePacket(
      { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, keepalive: 30, clientId: 'sensor-7', properties: { authenticationMethod: 'GSSAPI-KERBEROS', authenticationData: Buffer.from(token) } },
      5,
    ),
    auth: generatePacket({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'GSSAPI-KERBEROS', authenticationData: Buffer.from([1, 2, 3]) } }, 5),
    connack: generatePacket({ cmd: 'connack', sessionPresent: false, reasonCode: 0x87, properties: { reasonString: 'Request ticket server not found in keytab' } }, 5),
    publish: generatePacket({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 0, retain: false, dup: false }, 5),
  };
}

interface Segment {
  from: 'client' | 'server';
  seq: number;
  flags: number;
  payload?: Uint8Array;
}

/** The conversation's TCP segments, in the order the wire delivered them (out of order, resent). */
function segments(): Segment[] {
  const { connect, auth, connack } = mqtt();
  const c = 1000;
  const s = 5000;
  // The CONNECT cut after its first byte: the Remaining Length starts in the next segment.
  const [c1, c2] = [connect.subarray(0, 1), connect.subarray(1)];
  return [
    { from: 'client', seq: c, flags: 0x02 },
    { from: 'server', seq: s, flags: 0x12 },
    { from: 'client', seq: c + 1, flags: 0x10 },
    { from: 'client', seq: c + 2, flags: 0x18, payload: c2 }, // out of order: before its first byte
    { from: 'client', seq: c + 1, flags: 0x18, payload: c1 },
    { from: 'client', seq: c + 1, flags: 0x18, payload: connect.subarray(0, 40) }, // retransmission, overlapping
    { from: 'server', seq: s + 1, flags: 0x18, payload: auth },
    { from: 'server', seq: s + 1 + auth.length, flags: 0x18, payload: connack },
    { from: 'server', seq: s + 1 + auth.length + connack.length, flags: 0x11 },
    { from: 'client', seq: c + 1 + connect.length, flags: 0x11 },
  ];
}

/** IPv4 datagrams for the segments; the big one in fragments sent last-first. */
function datagrams(): Uint8Array[] {
  const out: Uint8Array[] = [];
  let id = 100;
  for (const segment of segments()) {
    const fromClient = segment.from === 'client';
    const body = tcp({
      sport: fromClient ? CLIENT.port : SERVER.port,
      dport: fromClient ? SERVER.port : CLIENT.port,
      seq: segment.seq,
      flags: segment.flags,
      ...(segment.payload ? { payload: segment.payload } : {}),
    });
    const addresses = { src: fromClient ? CLIENT.ip : SERVER.ip, dst: fromClient ? SERVER.ip : CLIENT.ip, id: id++ };
    if (body.length <= 400) {
      out.push(ipv4(body, addresses));
      continue;
    }
    const cut = 400; // a multiple of 8
    const first = ipv4(body.subarray(0, cut), { ...addresses, more: true });
    const second = ipv4(body.subarray(cut), { ...addresses, fragOffset: cut, totalLength: 20 + body.length - cut });
    out.push(second, first);
  }
  return out;
}

const at = (i: number): Pick<WritablePacket, 'seconds' | 'nanos'> => ({ seconds: 1_765_000_000 + i, nanos: 123_456_789 });

async function scanFile(file: string) {
  const result = await scanCapture({ file });
  const exchanges = result.loadAll();
  result.dispose();
  return { result, mqtt: exchanges.filter((e) => e.capture?.protocol === 'mqtt') };
}

describe('scanning crafted captures', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-crafted-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function expectTheConversation(exchanges: Awaited<ReturnType<typeof scanFile>>['mqtt']): void {
    expect(exchanges).toHaveLength(1);
    const [exchange] = exchanges;
    expect(exchange!.capture).toMatchObject({ client: `${CLIENT.ip}:${CLIENT.port}`, server: `${SERVER.ip}:${SERVER.port}` });
    expect(exchange!.steps.map((s) => s.transport.packet)).toEqual(['CONNECT', 'AUTH 0x18', 'CONNACK 0x87']);
    expect(Buffer.from(exchange!.steps[0]!.token!, 'base64').equals(Buffer.from(token))).toBe(true);
    expect(exchange!.verdict).toMatchObject({ outcome: 'failure', code: '0x87' });
    expect(exchange!.verdict.reason).toMatch(/Request ticket server not found in keytab/);
    expect(exchange!.capture!.ticket).toMatchObject({ sname: 'HTTP/localhost', realm: 'WORLD.TEST', kvno: 2, etype: 18 });
  }

  it('QinQ, IPv4 fragments out of order, segments out of order and resent, a split length field: big-endian ns pcap, gzipped', async () => {
    const frames = datagrams().map((d, i) => ({ ...at(i), data: ethernet(0x0800, d, [[0x88a8, 10], [0x8100, 20]]) }));
    const pcap = writePcap(frames, { byteOrder: 'be', resolution: 'ns', linkType: 1 });
    const file = path.join(dir, 'hard.pcap.gz');
    await writeFile(file, gzipSync(pcap));
    const { result, mqtt: found } = await scanFile(file);
    expect(result).toMatchObject({ format: 'pcap', gzip: true, packets: frames.length });
    expect(result.error).toBeUndefined();
    expectTheConversation(found);
    // The CONNECT's step names every frame that carried it: both segments, the second's two fragments.
    expect(found[0]!.steps[0]!.packets).toHaveLength(3);
    // Times come from the packets (ns resolution): the CONNECT was complete with the sixth frame.
    expect(found[0]!.startedAt).toBe(new Date((1_765_000_000 + 5) * 1000 + 123).toISOString());
  });

  it('Linux SLL2 in a pcapng', async () => {
    const writer = new PcapngWriter();
    const { id, block } = writer.addInterface(276, { tsresol: 9 });
    const parts = [writer.header(), block, ...datagrams().map((d, i) => writer.packet(id, { ...at(i), data: sll2(0x0800, d) }))];
    const file = path.join(dir, 'sll2.pcapng');
    await writeFile(file, concat(...parts));
    expectTheConversation((await scanFile(file)).mqtt);
  });

  it('a truncated file and a corrupt block end the scan with the block and offset, keeping what came before', async () => {
    const writer = new PcapngWriter();
    const { id, block } = writer.addInterface(1);
    const packets = datagrams().map((d, i) => writer.packet(id, { ...at(i), data: ethernet(0x0800, d) }));
    const whole = concat(writer.header(), block, ...packets);
    const truncated = path.join(dir, 'truncated.pcapng');
    await writeFile(truncated, whole.subarray(0, whole.length - 30));
    const cut = await scanFile(truncated);
    expect(cut.result.error?.message).toMatch(/Enhanced Packet Block at byte \d+: .*truncated/);
    expect(cut.mqtt.map((e) => e.steps.map((s) => s.transport.packet))).toEqual([['CONNECT', 'AUTH 0x18', 'CONNACK 0x87']]);
    // A block length that is not a multiple of 4, in the FIN that follows the CONNACK.
    const corrupt = Buffer.from(whole);
    const lastStart = whole.length - packets.at(-1)!.length - packets.at(-2)!.length;
    corrupt.writeUInt32LE(0x3e, lastStart + 4);
    const corruptFile = path.join(dir, 'corrupt.pcapng');
    await writeFile(corruptFile, corrupt);
    const broken = await scanFile(corruptFile);
    expect(broken.result.error?.message).toMatch(new RegExp(`Enhanced Packet Block block total length at byte ${lastStart + 4}: 62 is not a valid length`));
    expect(broken.mqtt).toHaveLength(1);
    expect(broken.mqtt[0]!.verdict.outcome).toBe('failure');
  });
});
