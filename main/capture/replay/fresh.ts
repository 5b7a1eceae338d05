/**
 * Fresh replay: the captured flow with new tokens — the bench's probe connects with the captured
 * client id, Keep Alive, Clean Start and CONNECT properties (MQTT 5 §3.1.2), the captured
 * Authentication Method, and a new AP-REQ from a profile for the service the captured ticket was
 * for (its sname "mqtt/broker.example.com" is the GSS name "mqtt@broker.example.com").
 */
import type { IConnectPacket } from 'mqtt-packet';
import type { ProbeService, ProbeStartOptions, ProbeView } from '../../api/broker';
import { parsePacket } from '../../broker/framing';
import { BenchFailure } from '../../engine/failure';
import type { Exchange } from '../../exchange/model';
import { presentedTicket } from '../../exchange/diff';

/** How long a probe run may take before the replay gives up on it (the probe's own CONNACK timer is 15 s). */
const PROBE_RUN_MS = 30_000;
const POLL_MS = 50;

/** What the captured CONNECT asked for, as far as the probe can ask for it again. */
export interface CapturedConnect {
  protocolLevel?: number;
  clientId?: string;
  keepalive?: number;
  cleanStart?: boolean;
  method?: string;
  connectProperties?: NonNullable<ProbeStartOptions['connectProperties']>;
}

function fieldsConnect(fields: Record<string, string | number | boolean>): CapturedConnect {
  const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);
  const level = num(fields.protocolLevel ?? fields.protocolVersion);
  const keepalive = num(fields.keepalive ?? fields.keepAlive);
  const clean = fields.cleanStart ?? fields.cleanSession;
  const expiry = num(fields.sessionExpiryInterval);
  const receive = num(fields.receiveMaximum);
  const properties = { ...(expiry !== undefined ? { sessionExpiryInterval: expiry } : {}), ...(receive !== undefined ? { receiveMaximum: receive } : {}) };
  return {
    ...(level !== undefined ? { protocolLevel: level } : {}),
    ...(typeof fields.clientId === 'string' ? { clientId: fields.clientId } : {}),
    ...(keepalive !== undefined ? { keepalive } : {}),
    ...(typeof clean === 'boolean' ? { cleanStart: clean } : {}),
    ...(typeof fields.authenticationMethod === 'string' ? { method: fields.authenticationMethod } : {}),
    ...(Object.keys(properties).length ? { connectProperties: properties } : {}),
  };
}

/** User Properties the bench's probe sets itself are not carried over (kbench-step would ask the broker to hold its deadline). */
function userPropertiesOf(properties: IConnectPacket['properties']): Record<string, string> | undefined {
  const entries = Object.entries(properties?.userProperties ?? {})
    .filter(([name]) => !name.startsWith('kbench-'))
    .map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : String(value)] as const);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

function packetConnect(packet: IConnectPacket): CapturedConnect {
  const p = packet.properties;
  const userProperties = userPropertiesOf(p);
  const properties: NonNullable<ProbeStartOptions['connectProperties']> = {
    ...(p?.sessionExpiryInterval !== undefined ? { sessionExpiryInterval: p.sessionExpiryInterval } : {}),
    ...(p?.receiveMaximum !== undefined ? { receiveMaximum: p.receiveMaximum } : {}),
    ...(p?.maximumPacketSize !== undefined ? { maximumPacketSize: p.maximumPacketSize } : {}),
    ...(p?.topicAliasMaximum !== undefined ? { topicAliasMaximum: p.topicAliasMaximum } : {}),
    ...(p?.requestResponseInformation !== undefined ? { requestResponseInformation: p.requestResponseInformation } : {}),
    ...(p?.requestProblemInformation !== undefined ? { requestProblemInformation: p.requestProblemInformation } : {}),
    ...(userProperties ? { userProperties } : {}),
  };
  return {
    protocolLevel: packet.protocolVersion ?? 4,
    ...(packet.clientId ? { clientId: packet.clientId } : {}),
    keepalive: packet.keepalive,
    cleanStart: packet.clean,
    ...(p?.authenticationMethod ? { method: p.authenticationMethod } : {}),
    ...(Object.keys(properties).length ? { connectProperties: properties } : {}),
  };
}

/** The captured CONNECT: parsed from its bytes when the capture kept them, else read from the step's fields. */
export function capturedConnect(exchange: Exchange): CapturedConnect {
  const step = exchange.steps.find((s) => s.direction === 'client-to-server' && /^CONNECT\b/.test(s.transport.packet));
  if (!step) return {};
  if (step.raw) {
    try {
      const packet = parsePacket(Buffer.from(step.raw, 'base64'));
      if (packet.cmd === 'connect') return packetConnect(packet);
    } catch {
      // A CONNECT the parser refuses still has its fields as the capture read them.
    }
  }
  return fieldsConnect(step.transport.fields ?? {});
}

/** The GSS service name ("mqtt@host") for a replay: the one asked for, else the captured ticket's sname, else the Exchange's. */
export function replayService(exchange: Exchange, asked?: string): string | undefined {
  if (asked) return asked;
  const sname = presentedTicket(exchange)?.sname;
  const slash = sname?.indexOf('/') ?? -1;
  if (sname && slash > 0) return `${sname.slice(0, slash)}@${sname.slice(slash + 1)}`;
  return exchange.service;
}

export interface FreshRun {
  to: string;
  profile: 'lab' | 'system';
  /** The lab realm whose profile makes the tokens (lab profile only). */
  realm?: string;
  service?: string;
}

/** The probe options that replay the captured CONNECT, and notes on what it cannot replay. */
export function probeOptionsFor(original: Exchange, run: FreshRun): { options: ProbeStartOptions; notes: string[] } {
  const connect = capturedConnect(original);
  const notes: string[] = [];
  const asked = connect.method ?? original.mechanism;
  const method = asked === 'GSSAPI' ? 'GSSAPI' : 'GSSAPI-KERBEROS';
  if (asked !== method) notes.push(`the captured Authentication Method is "${asked}": the probe speaks GSSAPI-KERBEROS and GSSAPI, and used ${method}`);
  if (connect.protocolLevel !== undefined && connect.protocolLevel !== 5) notes.push(`the captured CONNECT is MQTT protocol level ${connect.protocolLevel}; the probe speaks MQTT 5 (enhanced authentication needs it)`);
  const session = original.capture?.session;
  if (session && Object.keys(session.packets).length) notes.push(`the captured session after CONNACK (${Object.entries(session.packets).map(([k, v]) => `${v} ${k}`).join(', ')}) is not replayed`);
  const service = replayService(original, run.service);
  const options: ProbeStartOptions = {
    url: run.to,
    profile: run.profile,
    method,
    step: false,
    ...(service ? { service } : {}),
    ...(run.realm ? { realm: run.realm } : {}),
    ...(connect.clientId ? { clientId: connect.clientId } : {}),
    ...(connect.keepalive !== undefined ? { keepalive: connect.keepalive } : {}),
    ...(connect.cleanStart !== undefined ? { cleanStart: connect.cleanStart } : {}),
    ...(connect.connectProperties ? { connectProperties: connect.connectProperties } : {}),
  };
  return { options, notes };
}

const ended = (view: ProbeView) => view.state === 'connected' || view.state === 'failed' || view.state === 'closed';

/** Runs the probe to its first CONNACK (or failure) and returns its connect Exchange; the run is closed after. */
export async function runProbe(probe: ProbeService, options: ProbeStartOptions): Promise<Exchange> {
  let view = await probe.start(options);
  const started = Date.now();
  try {
    while (!ended(view)) {
      if (Date.now() - started > PROBE_RUN_MS) throw new BenchFailure(`the probe did not finish connecting to ${options.url} within ${PROBE_RUN_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      view = await probe.view(view.id);
    }
  } finally {
    await probe.close(view.id);
  }
  const exchange = view.exchanges[0];
  if (!exchange) throw new BenchFailure(`the probe ended without an Exchange: ${view.error ?? view.state}`);
  return exchange;
}

/**
 * A probe's Exchange as the replay's: a new id, source 'replay', and what it replays. The probe's
 * CONNECT step does not list what it asked for besides authentication: the replayed client id,
 * Keep Alive and Clean Start are added to it (the diff compares the client id).
 */
export function asReplay(exchange: Exchange, original: Exchange, mode: string, options: ProbeStartOptions): Exchange {
  const replay: Exchange = { ...structuredClone(exchange), id: crypto.randomUUID(), source: 'replay', meta: { ...exchange.meta, mode, replayOf: original.id } };
  const connect = replay.steps.find((s) => s.direction === 'client-to-server' && s.transport.packet === 'CONNECT');
  if (connect) {
    connect.transport.fields = {
      ...connect.transport.fields,
      ...(options.clientId ? { clientId: options.clientId } : {}),
      ...(options.keepalive !== undefined ? { keepAlive: options.keepalive } : {}),
      ...(options.cleanStart !== undefined ? { cleanStart: options.cleanStart } : {}),
    };
  }
  return replay;
}
