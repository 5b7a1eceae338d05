/**
 * MQTT extraction from reassembled TCP: the authentication conversation (CONNECT / AUTH /
 * CONNACK / DISCONNECT, MQTT 5 and 3.1.1) as one Exchange whatever the segment boundaries
 * (Remaining Length split included), the session after the CONNACK counted, and what the
 * capture cannot tell (a gap, a close, the end of the file) said as such. Packets are generated
 * with mqtt-packet (generatePacket) and fed as StreamChunks through a fake ExtractContext whose
 * recorders are real CaptureRecorders with a no-op decoder.
 */
import type { Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { generatePacket, type ProtocolVersion } from '../../../main/broker/framing';
import { type MqttStreamHandler, mqttExtractor, sniffMqttConnect } from '../../../main/capture/extract/mqtt';
import type { ExtractContext } from '../../../main/capture/extract/types';
import { CaptureRecorder } from '../../../main/capture/recorder';
import type { CaptureWarning, FlowDirection, PacketRef, TcpFlow } from '../../../main/capture/types';

const FLOW: TcpFlow = { id: 7, client: '127.0.0.1:50123', server: '127.0.0.1:1883', sawSyn: true };
const METHOD = 'GSSAPI-KERBEROS';

function fakeContext(): { ctx: ExtractContext; recorders: CaptureRecorder[]; warnings: CaptureWarning[] } {
  const recorders: CaptureRecorder[] = [];
  const warnings: CaptureWarning[] = [];
  const ctx: ExtractContext = {
    record: (init) => {
      const recorder = new CaptureRecorder(init, () => {});
      recorders.push(recorder);
      return recorder;
    },
    openInner: () => {
      throw new Error('no inner flows in these tests');
    },
    warn: (warning) => warnings.push(warning),
  };
  return { ctx, recorders, warnings };
}

/** Frame n at 1 700 000 000 s + n ms. */
function ref(number: number): PacketRef {
  return { number, seconds: 1_700_000_000, nanos: number * 1_000_000 };
}

interface Message {
  direction: FlowDirection;
  bytes: Buffer;
}

const c = (packet: Packet, version: ProtocolVersion = 5): Message => ({ direction: 0, bytes: generatePacket(packet, version) });
const s = (packet: Packet, version: ProtocolVersion = 5): Message => ({ direction: 1, bytes: generatePacket(packet, version) });

/**
 * Feeds messages in order, each as one segment unless `cuts` says where to split it (offsets
 * inside the message). Frame numbers count segments from 1. Returns the frames of each message.
 */
function feed(handler: MqttStreamHandler, messages: Message[], cuts: (index: number, message: Message) => number[] = () => []): number[][] {
  const offsets = [0, 0];
  let frame = 0;
  return messages.map((message, index) => {
    const inside = [...new Set(cuts(index, message))].filter((cut) => cut > 0 && cut < message.bytes.length).sort((a, b) => a - b);
    const at = [0, ...inside, message.bytes.length];
    const frames: number[] = [];
    for (let k = 0; k + 1 < at.length; k++) {
      const bytes = new Uint8Array(message.bytes.subarray(at[k], at[k + 1]));
      frames.push(++frame);
      handler.data({ direction: message.direction, bytes, streamOffset: offsets[message.direction]!, packet: ref(frame) });
      offsets[message.direction]! += bytes.length;
    }
    return frames;
  });
}

function extract(messages: Message[], options: { cuts?: (index: number, message: Message) => number[]; end?: 'closed' | 'reset' | 'capture-ended' } = {}) {
  const { ctx, recorders, warnings } = fakeContext();
  const handler = mqttExtractor.create(FLOW, ctx) as MqttStreamHandler;
  const frames = feed(handler, messages, options.cuts);
  if (options.end) handler.end(options.end);
  return { handler, recorders, warnings, frames, exchange: recorders[0]?.exchange };
}

const apReq = Buffer.from('6082020e06092a864886f71201020201006e8201fd308201f9a003020105a10302010ea20703050020000000', 'hex');
const apRep = Buffer.from('6f5a3058a003020105a10302010fa24c304aa003020112a243044132b1', 'hex');
const wrapToken = Buffer.from('050401ff000c000000000000139a2d7b01010000', 'hex');

function gssapiFlow(): Message[] {
  return [
    c({
      cmd: 'connect',
      protocolVersion: 5,
      clientId: 'alice-sensor',
      clean: true,
      keepalive: 60,
      properties: { authenticationMethod: METHOD, authenticationData: apReq, sessionExpiryInterval: 300, receiveMaximum: 20, userProperties: { site: 'lab' } },
    }),
    s({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: apRep } }),
    c({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: wrapToken } }),
    s({ cmd: 'connack', sessionPresent: false, reasonCode: 0, properties: { authenticationMethod: METHOD } }),
  ];
}

/** What must not depend on segmentation: everything but the frame numbers. */
function stepsWithoutFrames(exchange: { steps: { transport: unknown; token?: string; raw?: string; summary?: string; direction: string; error?: string }[] }) {
  return exchange.steps.map(({ transport, token, raw, summary, direction, error }) => ({ transport, token, raw, summary, direction, error }));
}

describe('sniffMqttConnect', () => {
  const v5 = generatePacket({ cmd: 'connect', protocolVersion: 5, clientId: 'x', properties: { authenticationMethod: METHOD } }, 5);
  const v4 = generatePacket({ cmd: 'connect', protocolVersion: 4, clientId: 'x' }, 4);
  const v3 = generatePacket({ cmd: 'connect', protocolVersion: 3, protocolId: 'MQIsdp', clientId: 'x' }, 3);

  it('says yes to a CONNECT of MQTT 5, 3.1.1 and 3.1, and "more" for every prefix of one', () => {
    for (const connect of [v5, v4, v3]) {
      expect(sniffMqttConnect(connect)).toBe('yes');
      const decisive = connect[1]! < 0x80 ? 2 + (connect[2] === 0 && connect[3] === 6 ? 8 : 6) + 1 : undefined;
      for (let n = 0; n <= (decisive ?? -1); n++) expect(sniffMqttConnect(connect.subarray(0, n)), `${n} bytes`).toBe(n === decisive ? 'yes' : 'more');
    }
  });

  it('says yes once the Remaining Length, name and level are there, even split over a long length', () => {
    const big = generatePacket({ cmd: 'connect', protocolVersion: 5, clientId: 'x'.repeat(300) }, 5);
    expect(big[2]! & 0x80).toBe(0);
    expect(sniffMqttConnect(big.subarray(0, 2))).toBe('more');
    expect(sniffMqttConnect(big.subarray(0, 10))).toBe('yes');
  });

  it('says no to other MQTT packets, wrong levels, and other protocols', () => {
    expect(sniffMqttConnect(generatePacket({ cmd: 'publish', topic: 't', payload: 'p', qos: 0, dup: false, retain: false }, 4))).toBe('no');
    expect(sniffMqttConnect(Buffer.from('GET / HTTP/1.1\r\n'))).toBe('no');
    const level6 = Buffer.from(v4);
    level6[8] = 6;
    expect(sniffMqttConnect(level6)).toBe('no');
    expect(sniffMqttConnect(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x01]))).toBe('no');
    expect(sniffMqttConnect(Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x58]))).toBe('no');
  });
});

describe('MQTT 5 GSSAPI-KERBEROS', () => {
  it('records CONNECT, both AUTH 0x18 and CONNACK 0x00, with tokens, raw bytes and frames', () => {
    const messages = gssapiFlow();
    const { exchange, frames, warnings } = extract(messages);
    expect(warnings).toEqual([]);
    expect(exchange).toBeDefined();
    expect(exchange!.mechanism).toBe(METHOD);
    expect(exchange!.capture).toMatchObject({ protocol: 'mqtt', client: FLOW.client, server: FLOW.server, flow: 7, packets: [1, 2, 3, 4] });
    expect(exchange!.steps.map((step) => [step.direction, step.transport.packet])).toEqual([
      ['client-to-server', 'CONNECT'],
      ['server-to-client', 'AUTH 0x18'],
      ['client-to-server', 'AUTH 0x18'],
      ['server-to-client', 'CONNACK 0x00'],
    ]);
    expect(exchange!.steps.map((step) => step.token)).toEqual([apReq, apRep, wrapToken, undefined].map((t) => t?.toString('base64')));
    expect(exchange!.steps.map((step) => step.raw)).toEqual(messages.map((m) => m.bytes.toString('base64')));
    expect(exchange!.steps.map((step) => step.packets)).toEqual(frames);
    expect(exchange!.steps[0]!.transport.fields).toMatchObject({
      protocolName: 'MQTT',
      protocolLevel: 5,
      clientId: 'alice-sensor',
      cleanStart: true,
      keepAlive: 60,
      usernameFlag: false,
      willFlag: false,
      authenticationMethod: METHOD,
      authenticationDataLength: apReq.length,
      sessionExpiryInterval: 300,
      receiveMaximum: 20,
      userProperties: 'site=lab',
    });
    expect(exchange!.steps[1]!.transport.fields).toMatchObject({ reasonCode: '0x18 Continue Authentication', authenticationMethod: METHOD });
    expect(exchange!.steps[3]!.transport.fields).toMatchObject({ reasonCode: '0x00 Success', sessionPresent: false });
    expect(exchange!.verdict).toMatchObject({ outcome: 'success', code: '0x00' });
    expect(exchange!.steps[3]!.elapsedMs).toBe(3);
    expect(exchange!.meta).toMatchObject({ clientId: 'alice-sensor', mqttVersion: '5' });
    expect(exchange!.capture.session).toEqual({ packets: {}, bytes: 0, durationMs: 0 });
  });

  it('gives the same steps whatever byte each packet is split at, naming both frames of a split one', () => {
    const messages = gssapiFlow();
    const whole = stepsWithoutFrames(extract(messages).exchange!);
    for (let index = 0; index < messages.length; index++) {
      for (let cut = 1; cut < messages[index]!.bytes.length; cut++) {
        const { exchange, frames, warnings } = extract(messages, { cuts: (i) => (i === index ? [cut] : []) });
        expect(warnings, `message ${index} cut at ${cut}`).toEqual([]);
        expect(stepsWithoutFrames(exchange!), `message ${index} cut at ${cut}`).toEqual(whole);
        expect(exchange!.steps[index]!.packets).toEqual(frames[index]);
        expect(frames[index]).toHaveLength(2);
        expect(exchange!.verdict.outcome).toBe('success');
      }
    }
  });

  it('reads a byte-per-segment stream, Remaining Length bytes each in their own frame', () => {
    const messages = gssapiFlow();
    const { exchange, frames } = extract(messages, { cuts: (_, m) => Array.from({ length: m.bytes.length }, (_, k) => k) });
    expect(stepsWithoutFrames(exchange!)).toEqual(stepsWithoutFrames(extract(messages).exchange!));
    expect(exchange!.steps.map((step) => step.packets)).toEqual(frames);
    expect(exchange!.steps[0]!.packets!.length).toBe(messages[0]!.bytes.length);
  });

  it('reads several packets out of one segment', () => {
    const [connect, auth1, auth2, connack] = gssapiFlow();
    const publish = c({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('hello'), qos: 0, dup: false, retain: false });
    const together: Message[] = [connect!, auth1!, auth2!, { direction: 1, bytes: Buffer.concat([connack!.bytes, s({ cmd: 'pingresp' }).bytes]) }, publish];
    const { exchange } = extract(together, { end: 'capture-ended' });
    expect(exchange!.steps.map((step) => step.transport.packet)).toEqual(['CONNECT', 'AUTH 0x18', 'AUTH 0x18', 'CONNACK 0x00']);
    expect(exchange!.steps[3]!.raw).toBe(connack!.bytes.toString('base64'));
    expect(exchange!.capture.session!.packets).toEqual({ PINGRESP: 1, PUBLISH: 1 });
  });

  it('records a CONNACK that carries the last token, and the server AUTH reason string and user properties', () => {
    const messages = [
      gssapiFlow()[0]!,
      s({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: apRep, reasonString: 'round 1', userProperties: { kdc: 'a' } } }),
      s({ cmd: 'connack', sessionPresent: true, reasonCode: 0, properties: { authenticationMethod: METHOD, authenticationData: apRep, assignedClientIdentifier: 'auto-1' } }),
    ];
    const { exchange } = extract(messages);
    expect(exchange!.steps[1]!.transport.fields).toMatchObject({ reasonString: 'round 1', userProperties: 'kdc=a' });
    expect(exchange!.steps[2]!.token).toBe(apRep.toString('base64'));
    expect(exchange!.steps[2]!.transport.fields).toMatchObject({ sessionPresent: true, assignedClientIdentifier: 'auto-1' });
  });
});

describe('refusals and endings', () => {
  it('a CONNACK 0x87 with a Reason String is a failure with code 0x87 and both texts', () => {
    const messages = [gssapiFlow()[0]!, s({ cmd: 'connack', sessionPresent: false, reasonCode: 0x87, properties: { reasonString: 'ticket expired' } })];
    const { exchange } = extract(messages, { end: 'closed' });
    expect(exchange!.steps[1]!.transport.packet).toBe('CONNACK 0x87');
    expect(exchange!.steps[1]!.transport.fields).toMatchObject({ reasonCode: '0x87 Not Authorized', reasonString: 'ticket expired' });
    expect(exchange!.verdict.outcome).toBe('failure');
    expect(exchange!.verdict.code).toBe('0x87');
    expect(exchange!.verdict.reason).toContain('0x87 Not Authorized');
    expect(exchange!.verdict.reason).toContain('ticket expired');
    expect(exchange!.finishedAt).toBe(new Date(1_700_000_000_002).toISOString());
  });

  it('a DISCONNECT 0x8C before CONNACK is a failure with its reason (a code DISCONNECT may not carry, shown anyway)', () => {
    const messages = [gssapiFlow()[0]!, s({ cmd: 'disconnect', reasonCode: 0x8c, properties: { reasonString: 'no GSSAPI here' } })];
    const { exchange, warnings } = extract(messages);
    expect(warnings).toEqual([]);
    expect(exchange!.steps[1]!.transport).toMatchObject({ packet: 'DISCONNECT 0x8C', fields: { reasonCode: '0x8c Bad Authentication Method', reasonString: 'no GSSAPI here' } });
    expect(exchange!.verdict).toMatchObject({ outcome: 'failure', code: '0x8C' });
    expect(exchange!.verdict.reason).toContain('no GSSAPI here');
  });

  it('a connection closed or reset before CONNACK is a failure; a capture that ends first leaves it pending', () => {
    const messages = gssapiFlow().slice(0, 3);
    expect(extract(messages, { end: 'closed' }).exchange!.verdict).toEqual({ outcome: 'failure', reason: 'the server closed the connection during authentication' });
    expect(extract(messages, { end: 'reset' }).exchange!.verdict.reason).toBe('the connection was reset during authentication');
    const pending = extract(messages, { end: 'capture-ended' });
    expect(pending.exchange!.verdict.outcome).toBe('pending');
    expect(pending.handler.done).toBe(true);
  });

  it('a CONNACK split from the close still settles the verdict before the close', () => {
    const messages = [gssapiFlow()[0]!, s({ cmd: 'connack', sessionPresent: false, reasonCode: 0x86 })];
    const { exchange } = extract(messages, { cuts: (i) => (i === 1 ? [1, 2, 3] : []), end: 'closed' });
    expect(exchange!.verdict).toMatchObject({ outcome: 'failure', code: '0x86' });
    expect(exchange!.steps[1]!.packets).toEqual([2, 3, 4, 5]);
  });
});

describe('MQTT 3.1.1 with a user name and password', () => {
  const password = 'S3cr3t-pässword!';
  const messages = [
    c({ cmd: 'connect', protocolVersion: 4, clientId: 'legacy', clean: true, keepalive: 30, username: 'bob', password: Buffer.from(password), will: { topic: 'dead', payload: Buffer.from('x'), qos: 1, retain: false } }, 4),
    s({ cmd: 'connack', sessionPresent: false, returnCode: 0 }, 4),
  ];

  it('records the user name, hides the password, and never keeps its bytes', () => {
    const { exchange } = extract(messages);
    expect(exchange!.mechanism).toBe('username/password');
    const fields = exchange!.steps[0]!.transport.fields!;
    expect(fields).toMatchObject({ protocolLevel: 4, cleanSession: true, username: 'bob', usernameFlag: true, password: `<${Buffer.byteLength(password)} bytes hidden>`, willFlag: true, willTopic: 'dead', willQoS: 1 });
    expect(exchange!.steps[0]!.raw).toBeUndefined();
    const json = JSON.stringify(exchange);
    expect(json).not.toContain(password);
    expect(json).not.toContain(Buffer.from(password).toString('base64'));
    expect(json).not.toContain(Buffer.from(password).toString('hex'));
    expect(exchange!.steps[1]!.transport).toMatchObject({ packet: 'CONNACK 0x00', fields: { returnCode: '0x00 Connection Accepted' } });
    expect(exchange!.verdict.outcome).toBe('success');
  });

  it('a refusing return code is a failure', () => {
    const refused = [messages[0]!, s({ cmd: 'connack', sessionPresent: false, returnCode: 5 }, 4)];
    const { exchange } = extract(refused);
    expect(exchange!.verdict).toMatchObject({ outcome: 'failure', code: '0x05' });
    expect(exchange!.verdict.reason).toContain('Connection Refused, not authorized');
  });

  it('a client without credentials is mechanism "none"; MQTT 3.1 (MQIsdp) is read too', () => {
    const v3 = [c({ cmd: 'connect', protocolVersion: 3, protocolId: 'MQIsdp', clientId: 'old' }, 3), s({ cmd: 'connack', sessionPresent: false, returnCode: 0 }, 3)];
    const { exchange } = extract(v3);
    expect(exchange!.mechanism).toBe('none');
    expect(exchange!.steps[0]!.transport.fields).toMatchObject({ protocolName: 'MQIsdp', protocolLevel: 3 });
    expect(exchange!.verdict.outcome).toBe('success');
  });
});

describe('after the CONNACK', () => {
  it('counts the session by packet type, bytes and duration, across any split', () => {
    const session: Message[] = [];
    for (let k = 0; k < 200; k++) {
      session.push(c({ cmd: 'publish', topic: 'sensors/t', payload: Buffer.alloc(k * 3, 7), qos: 1, messageId: k + 1, dup: false, retain: false }));
      session.push(s({ cmd: 'puback', messageId: k + 1, reasonCode: 0 }));
    }
    session.push(c({ cmd: 'pingreq' }), s({ cmd: 'pingresp' }), c({ cmd: 'disconnect', reasonCode: 0 }));
    const bytes = session.reduce((sum, m) => sum + m.bytes.length, 0);
    const messages = [...gssapiFlow(), ...session];
    for (const cuts of [() => [], (i: number, m: Message) => [(i * 7) % m.bytes.length, 1 + ((i * 13) % m.bytes.length)]]) {
      const { exchange, handler, frames } = extract(messages, { cuts, end: 'closed' });
      expect(exchange!.capture.session).toEqual({
        packets: { PUBLISH: 200, PUBACK: 200, PINGREQ: 1, PINGRESP: 1, DISCONNECT: 1 },
        bytes,
        durationMs: frames.at(-1)!.at(-1)! - frames[3]!.at(-1)!,
      });
      expect(exchange!.steps).toHaveLength(4);
      expect(exchange!.verdict.outcome).toBe('success');
      expect(handler.done).toBe(true);
    }
  });

  it('records a re-authentication as steps of the same Exchange', () => {
    const messages = [
      ...gssapiFlow(),
      c({ cmd: 'publish', topic: 't', payload: Buffer.from('1'), qos: 0, dup: false, retain: false }),
      c({ cmd: 'auth', reasonCode: 0x19, properties: { authenticationMethod: METHOD, authenticationData: apReq } }),
      s({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: apRep } }),
      c({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: wrapToken } }),
      s({ cmd: 'auth', reasonCode: 0x00, properties: { authenticationMethod: METHOD } }),
      c({ cmd: 'publish', topic: 't', payload: Buffer.from('2'), qos: 0, dup: false, retain: false }),
    ];
    const { exchange, frames } = extract(messages, { end: 'capture-ended' });
    expect(exchange!.steps.map((step) => step.transport.packet)).toEqual(['CONNECT', 'AUTH 0x18', 'AUTH 0x18', 'CONNACK 0x00', 'AUTH 0x19', 'AUTH 0x18', 'AUTH 0x18', 'AUTH 0x00']);
    expect(exchange!.steps[4]!.token).toBe(apReq.toString('base64'));
    expect(exchange!.steps[7]!.packets).toEqual(frames[8]);
    expect(exchange!.verdict.outcome).toBe('success');
    expect(exchange!.verdict.reason).toContain('re-authenticated 1 time(s)');
    expect(exchange!.capture.session!.packets).toEqual({ PUBLISH: 2, AUTH: 4 });
  });

  it('a re-authentication refused with DISCONNECT turns the verdict into a failure', () => {
    const messages = [
      ...gssapiFlow(),
      c({ cmd: 'auth', reasonCode: 0x19, properties: { authenticationMethod: METHOD, authenticationData: apReq } }),
      s({ cmd: 'disconnect', reasonCode: 0x87, properties: { reasonString: 'replay' } }),
    ];
    const { exchange } = extract(messages, { end: 'closed' });
    expect(exchange!.steps.at(-1)!.transport.packet).toBe('DISCONNECT 0x87');
    expect(exchange!.verdict).toMatchObject({ outcome: 'failure', code: '0x87' });
    expect(exchange!.verdict.reason).toContain('re-authentication');
  });
});

describe('what cannot be read', () => {
  it('a malformed AUTH is a step error and a warning with its frame, and the flow is dropped', () => {
    const bad: Message = { direction: 1, bytes: Buffer.from([0xf0, 0x02, 0x55, 0x00]) };
    const { exchange, warnings, handler } = extract([gssapiFlow()[0]!, bad, gssapiFlow()[3]!]);
    expect(exchange!.steps).toHaveLength(2);
    expect(exchange!.steps[1]!.error).toMatch(/^malformed AUTH: /);
    expect(exchange!.steps[1]!.packets).toEqual([2]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.packet).toBe(2);
    expect(warnings[0]!.message).toContain('frame 2');
    expect(exchange!.verdict.outcome).toBe('failure');
    expect(handler.done).toBe(true);
  });

  it('wrong fixed-header flags, a reserved type after CONNACK, a 5-byte Remaining Length', () => {
    const flags = extract([gssapiFlow()[0]!, { direction: 1, bytes: Buffer.from([0x21, 0x02, 0x00, 0x00]) }]);
    expect(flags.exchange!.steps[1]!.error).toContain('CONNACK');
    expect(flags.handler.done).toBe(true);
    const reserved = extract([...gssapiFlow(), { direction: 0, bytes: Buffer.from([0x00, 0x00]) }]);
    expect(reserved.warnings[0]!.message).toContain('type 0');
    expect(reserved.exchange!.verdict.outcome).toBe('success');
    const long = extract([...gssapiFlow(), { direction: 0, bytes: Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]) }]);
    expect(long.warnings[0]!.message).toContain('longer than 4 bytes');
    expect(long.handler.done).toBe(true);
  });

  it('a CONNECT that is not one says so under an "unknown" mechanism', () => {
    const connect = generatePacket({ cmd: 'connect', protocolVersion: 5, clientId: 'x' }, 5);
    connect[9] = 0x01; // Connect Flags bit 0 is reserved (§3.1.2.3)
    const { exchange, warnings } = extract([{ direction: 0, bytes: connect }]);
    expect(exchange!.mechanism).toBe('unknown');
    expect(exchange!.steps[0]!.error).toMatch(/malformed CONNECT/);
    expect(warnings).toHaveLength(1);
  });

  it('a gap in the server stream before CONNACK leaves the verdict pending, says so, and stops that side', () => {
    const { ctx, recorders } = fakeContext();
    const handler = mqttExtractor.create(FLOW, ctx) as MqttStreamHandler;
    const [connect, auth1] = gssapiFlow();
    feed(handler, [connect!]);
    handler.gap({ direction: 1, streamOffset: 0, length: 40, packet: ref(2) });
    handler.data({ direction: 1, bytes: auth1!.bytes.subarray(5), streamOffset: 40, packet: ref(3) });
    handler.end('closed');
    const exchange = recorders[0]!.exchange;
    expect(exchange.steps).toHaveLength(1);
    expect(exchange.verdict.outcome).toBe('pending');
    expect(exchange.verdict.reason).toContain('CONNACK may have been');
    expect(exchange.capture.gaps).toEqual(['server → client: 40 bytes missing at stream byte 0, before frame 2; MQTT cannot resynchronise, the rest of this direction is not read']);
  });

  it('a hole before the CONNECT is no loss, and a side that starts mid-packet is not the client', () => {
    const { ctx, recorders } = fakeContext();
    const handler = mqttExtractor.create(FLOW, ctx) as MqttStreamHandler;
    const messages = gssapiFlow();
    handler.gap({ direction: 0, streamOffset: 0, length: 10, packet: ref(1) });
    handler.data({ direction: 1, bytes: Buffer.from([0x30, 0x05]), streamOffset: 0, packet: ref(2) });
    handler.data({ direction: 0, bytes: messages[0]!.bytes, streamOffset: 10, packet: ref(3) });
    expect(recorders).toHaveLength(1);
    expect(recorders[0]!.exchange.steps[0]!.transport.packet).toBe('CONNECT');
  });

  it('takes the CONNECT from whichever side sent it (a capture that saw the flow the other way round)', () => {
    const swapped = gssapiFlow().map((m) => ({ ...m, direction: (1 - m.direction) as FlowDirection }));
    const { exchange } = extract(swapped);
    expect(exchange!.capture.client).toBe(FLOW.server);
    expect(exchange!.steps.map((step) => step.direction)).toEqual(['client-to-server', 'server-to-client', 'client-to-server', 'server-to-client']);
    expect(exchange!.verdict.outcome).toBe('success');
  });
});
