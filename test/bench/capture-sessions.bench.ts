/**
 * A capture scan with keys over many distinct Kerberos sessions, as a user with one service keytab
 * scans a busy capture (issue 18 note: trial decryption costs closed parts × learned keys).
 *
 * Each session is real: a fresh `kinit alice` (AS exchange, a new TGT), then a GSSAPI-KERBEROS
 * connect to the broker with the binding's initiator (a TGS exchange for a fresh service ticket,
 * the AP-REQ in CONNECT, the AUTH rounds), captured with tshark on loopback. The first half of the
 * sessions is also captured on its own. Scanned with the service keytab only, the AS and TGS parts
 * stay closed (no krbtgt or alice key) while every MQTT session teaches its session key and
 * subkeys; each closed part is tried against every learned key of its enctype. The figures:
 * capture_sessions_keys_vs_no_keys (all sessions, with the keytab ÷ without keys) and
 * capture_sessions_keys_growth_2x (twice the sessions ÷ half; linear: 2×).
 * Needs root for the capture and the build (the GSS worker).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import { startBroker } from '../../main/broker/broker';
import { kerberosAuthenticator } from '../../main/broker/kerberos-setup';
import { scanCapture } from '../../main/capture/scan';
import { GssSupervisor } from '../../main/gss/supervisor';
import { labProfile } from '../../main/gss/profiles';
import { parseKeytab } from '../../main/krb/keytab';
import type { KeySpec } from '../../main/krb/decode/session';
import { LoopbackCapture } from '../helpers/capture';
import { ALICE_PASSWORD, createTestRealm, type TestRealm } from '../helpers/lab';
import { nativeInitiator } from '../helpers/load';
import { connectOnce } from '../helpers/mqtt-raw';
import { recordFigure } from './figures';

const SESSIONS = 120;
const ONCE = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 };
const savedEnv = { ...process.env };
let lab: TestRealm | undefined;

// At the top level: vitest's bench mode does not run a describe block's afterAll.
afterAll(async () => {
  process.env = savedEnv;
  await lab?.destroy();
});

interface Scanned {
  seconds: number;
  exchanges: number;
  keys: number;
  opened: number;
}

async function scan(file: string, keys: readonly KeySpec[]): Promise<Scanned> {
  const started = performance.now();
  const result = await scanCapture({ file, keys });
  const seconds = (performance.now() - started) / 1000;
  const scanned = { seconds, exchanges: result.found.length, keys: result.session.keyring.made().length, opened: [...result.keyUse.values()].reduce((a, b) => a + b, 0) };
  result.dispose();
  return scanned;
}

/** Records SESSIONS real sessions (half of them also in a file of their own); the two captures. */
async function record(): Promise<{ half: string; all: string; keys: KeySpec[] }> {
  lab = await createTestRealm();
  Object.assign(process.env, lab.env, { KRB5RCACHEDIR: lab.realm.paths.rcacheDir });
  const gss = new GssSupervisor();
  const profile = labProfile(lab.name, { krb5Config: lab.realm.paths.krb5Conf, rcacheDir: lab.realm.paths.rcacheDir });
  const authenticator = await kerberosAuthenticator({ gss, profile, keytabFile: lab.serviceKeytab, principal: `mqtt/localhost@${lab.name}`, variant: 'emqx' });
  const broker = await startBroker({ listeners: [{ protocol: 'tcp', port: 0, authenticators: [authenticator] }], exchangeLimit: 10 });
  const port = broker.listeners[0]!.port;
  const filter = `port ${lab.realm.port} or tcp port ${port}`;
  const files = { half: path.join(lab.dir, 'half.pcapng'), all: path.join(lab.dir, 'all.pcapng') };
  // Stopped in `finally`, so that a failing session leaves no tshark running.
  const capturing: LoopbackCapture[] = [];
  try {
    capturing.push(await LoopbackCapture.start(files.all, filter), await LoopbackCapture.start(files.half, filter));
    for (let i = 0; i < SESSIONS; i++) {
      // The first half's capture ends here.
      if (i === SESSIONS / 2) await capturing.pop()!.stop();
      // A new TGT in the default ccache: the initiator then asks the KDC for a new service ticket.
      await lab.realm.kinit('alice', { password: ALICE_PASSWORD }, { ccache: lab.ccache });
      const initiator = nativeInitiator();
      await connectOnce({ port }, `session-${i}`, { method: 'GSSAPI-KERBEROS', data: await initiator.first(), answer: (round, challenge) => initiator.answer(round, challenge?.toString('base64') ?? '') });
    }
  } finally {
    for (const capture of capturing.splice(0)) await capture.stop();
    await broker.close();
    await gss.dispose();
  }
  const keytab: KeySpec = { kind: 'keytab', label: 'service.keytab', entries: parseKeytab(readFileSync(lab.serviceKeytab)).keytab.entries };
  return { ...files, keys: [keytab] };
}

async function measure(): Promise<void> {
  const { half, all, keys } = await record();
  const rows: Array<{ sessions: number; plain: Scanned; keyed: Scanned }> = [];
  for (const [sessions, file] of [[SESSIONS / 2, half], [SESSIONS, all]] as const) {
    rows.push({ sessions, plain: await scan(file, []), keyed: await scan(file, keys) });
  }
  console.log('\n  sessions  Exchanges  keys on ring  parts opened  no keys (s)  service keytab (s)  ratio');
  for (const { sessions, plain, keyed } of rows) {
    console.log(`  ${String(sessions).padStart(8)}  ${String(keyed.exchanges).padStart(9)}  ${String(keyed.keys).padStart(12)}  ${String(keyed.opened).padStart(12)}  ${plain.seconds.toFixed(2).padStart(11)}  ${keyed.seconds.toFixed(2).padStart(18)}  ${(keyed.seconds / plain.seconds).toFixed(1)}×`);
  }
  const [first, second] = rows as [(typeof rows)[0], (typeof rows)[0]];
  if (second.keyed.opened < 2 * first.keyed.opened - 4) console.log(`  !! ${SESSIONS} sessions opened ${second.keyed.opened} parts, half of them ${first.keyed.opened}: the capture or the scan is broken`);
  recordFigure({ key: 'capture_sessions_keys_vs_no_keys', value: second.keyed.seconds / second.plain.seconds, unit: '×', detail: `${SESSIONS} real sessions (kinit, TGS, GSSAPI-KERBEROS connect) scanned with the service keytab ÷ without keys; ${second.keyed.keys} keys on the ring` });
  recordFigure({ key: 'capture_sessions_keys_growth_2x', value: second.keyed.seconds / first.keyed.seconds, unit: '×', detail: `scan with the service keytab, ${SESSIONS} sessions ÷ the first ${SESSIONS / 2} (linear: 2×)` });
}

describe('capture scan with one service keytab over many distinct sessions (issue 18)', () => {
  bench(`${SESSIONS} real sessions, captured, scanned without and with the service keytab (figures)`, measure, ONCE);
});
