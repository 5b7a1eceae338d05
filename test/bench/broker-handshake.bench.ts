/**
 * GSSAPI-KERBEROS handshakes per second through the broker, against raw client+server GSS
 * context establishments measured in the same run (goal ≥ 0.5×):
 *   - baseline: the binding in this process, client and server (initiator step, acceptor step,
 *     initiator step with the AP-REP) — what any acceptor must do at the very least,
 *   - the broker: an MQTT.js client (the same in-process initiator) doing the whole EMQX flow —
 *     CONNECT, AUTH ×4, CONNACK — against the gateway, whose acceptor runs in a GSS worker and
 *     whose security-layer round and Exchange recording (decoded, decrypted steps) are ours.
 * Needs the build (the GSS worker is out/main/gss-worker.js).
 */
import { createRequire } from 'node:module';
import mqtt, { type Packet } from 'mqtt';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { startBroker, type Broker } from '../../main/broker/broker';
import { kerberosAuthenticator } from '../../main/broker/kerberos-setup';
import { labProfile } from '../../main/gss/profiles';
import { GssSupervisor } from '../../main/gss/supervisor';
import { createTestRealm, type TestRealm } from '../helpers/lab';

interface NativeClient {
  step(challenge: string): Promise<string | null>;
  unwrap(token: string): Promise<string | null>;
  wrap(data: string, options: { user: string }): Promise<string | null>;
}
interface NativeServer {
  response: string | null;
  step(token: string): Promise<unknown>;
}
interface Binding {
  initializeClient(service: string, options: object): Promise<NativeClient>;
  initializeServer(service: string): Promise<NativeServer>;
}

const METHOD = 'GSSAPI-KERBEROS';
let lab: TestRealm;
let gss: GssSupervisor;
let broker: Broker;
let binding: Binding;
const savedEnv = { ...process.env };

beforeAll(async () => {
  lab = await createTestRealm();
  // The in-process initiator (and the baseline's acceptor) read the lab from this environment.
  Object.assign(process.env, lab.env, { KRB5RCACHEDIR: lab.realm.paths.rcacheDir });
  binding = createRequire(import.meta.url)('kerberos') as Binding;
  gss = new GssSupervisor();
  const authenticator = await kerberosAuthenticator({
    gss,
    profile: labProfile(lab.name, { krb5Config: lab.realm.paths.krb5Conf, rcacheDir: lab.realm.paths.rcacheDir }),
    keytabFile: lab.serviceKeytab,
    principal: `mqtt/localhost@${lab.name}`,
    variant: 'emqx',
  });
  broker = await startBroker({ listeners: [{ protocol: 'tcp', port: 0, authenticators: [authenticator] }], exchangeLimit: 50 });
}, 60_000);

afterAll(async () => {
  await broker?.close();
  await gss?.dispose();
  await lab?.destroy();
  process.env = savedEnv;
});

async function rawEstablishment(): Promise<void> {
  const client = await binding.initializeClient('mqtt@localhost', {});
  const server = await binding.initializeServer('mqtt@localhost');
  const apReq = await client.step('');
  await server.step(apReq!);
  await client.step(server.response ?? '');
}

async function brokerHandshake(): Promise<void> {
  const client = await binding.initializeClient('mqtt@localhost', {});
  const apReq = Buffer.from((await client.step(''))!, 'base64');
  const mqttClient = mqtt.connect(broker.listeners[0]!.url, { protocolVersion: 5, reconnectPeriod: 0, properties: { authenticationMethod: METHOD, authenticationData: apReq } });
  let round = 0;
  mqttClient.handleAuth = (packet, callback) => {
    const data = (packet.properties?.authenticationData as Buffer | undefined)?.toString('base64') ?? '';
    void (async () => {
      round++;
      let answer = '';
      if (round === 1) answer = (await client.step(data)) ?? '';
      else {
        // The binding's wrap builds the RFC 4752 reply from the offer; pad to 8 bytes (it reads a long).
        const offer = Buffer.from((await client.unwrap(data)) ?? '', 'base64');
        answer = (await client.wrap(Buffer.concat([offer.subarray(0, 4), Buffer.alloc(4)]).toString('base64'), { user: '' })) ?? '';
      }
      callback(undefined, { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from(answer, 'base64') } } as Packet);
    })().catch((error: Error) => callback(error));
  };
  await new Promise<void>((resolve, reject) => {
    mqttClient.once('connect', () => resolve());
    mqttClient.once('error', reject);
  });
  await mqttClient.endAsync(true);
}

describe('GSSAPI-KERBEROS handshake vs raw GSS context establishment', () => {
  bench('baseline: raw client+server GSS context establishment (in process)', rawEstablishment, { time: 3000, warmupTime: 500 });
  bench('GSSAPI-KERBEROS MQTT 5 handshake through the broker', brokerHandshake, { time: 3000, warmupTime: 500 });
});
