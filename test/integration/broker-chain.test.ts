/**
 * Authentication-method chains on the real bench broker, with MQTT.js clients over real sockets:
 * the real usernamePassword method (hashes computed here with node:crypto, independently of
 * pbkdf2.ts), the real kerberos method after it with the MIT lab realm's GSSAPI-KERBEROS flow,
 * and a TLS listener that hands the chain the client's certificate chain. The one test double is
 * an x509 stand-in that records what the chain gave it (the ChainMethod interface only).
 */
import { pbkdf2Sync, randomBytes, X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import mqtt, { type IClientOptions, type MqttClient, type Packet } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker, type ListenerConfig } from '../../main/broker/broker';
import { AuthChain } from '../../main/broker/chain/chain';
import { methodFor } from '../../main/broker/chain/methods';
import type { ChainCredentials, ChainMethod, MethodVerdict } from '../../main/broker/chain/types';
import { kerberosAuthenticator } from '../../main/broker/kerberos-setup';
import { ensureSelfSignedCertificate } from '../../main/broker/tls';
import { verdictLine } from '../../main/cli/commands/broker';
import type { Exchange } from '../../main/exchange/model';
import { labProfile } from '../../main/gss/profiles';
import { GssSupervisor } from '../../main/gss/supervisor';
import { runTool } from '../../main/system/exec';
import { createTestRealm, type TestRealm } from '../helpers/lab';
import { testRealmProfile } from '../helpers/sasl';

const METHOD = 'GSSAPI-KERBEROS';

/** Azure's format, computed here: $pbkdf2-sha512$i=N,l=64$SALT$HASH, unpadded base64. */
function azureHash(password: string, iterations = 1000): string {
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `$pbkdf2-sha512$i=${iterations},l=64$${b64(salt)}$${b64(hash)}`;
}

const passwords = (users: Record<string, { password: string; attributes?: Record<string, string> }>) =>
  Object.entries(users)
    .map(([name, u]) => `[${name}]\npassword = "${azureHash(u.password)}"\n${u.attributes ? `[${name}.attributes]\n${Object.entries(u.attributes).map(([k, v]) => `${k} = "${v}"`).join('\n')}\n` : ''}`)
    .join('\n');

const usernamePassword = (users: Parameters<typeof passwords>[0], source = 'credentials/passwords.toml') => methodFor({ kind: 'usernamePassword', passwordsToml: passwords(users), source });

/** x509 stand-in: relevant when a certificate came, valid always; keeps the credentials it saw. */
class RecordingX509 implements ChainMethod {
  readonly kind = 'x509' as const;
  seen: ChainCredentials[] = [];
  async check(credentials: ChainCredentials): Promise<MethodVerdict> {
    this.seen.push(credentials);
    const leaf = credentials.clientCertificates?.[0];
    if (!leaf) return { relevant: false, relevantWhy: 'no TLS client certificate' };
    return { relevant: true, relevantWhy: 'a client certificate', valid: true, validWhy: 'test double', principal: new X509Certificate(leaf).subject };
  }
}

interface Outcome {
  code: number | undefined;
  reasonString?: string;
  connack?: Packet & { properties?: Record<string, unknown> };
}

function connect(url: string, options: IClientOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 10_000, ...options });
    let reasonString: string | undefined;
    client.on('packetreceive', (packet: Packet & { properties?: { reasonString?: string } }) => {
      if (packet.cmd === 'connack') reasonString = packet.properties?.reasonString;
    });
    client.once('connect', (connack) => {
      client.end(true);
      resolve({ code: 0, connack: connack as Outcome['connack'] });
    });
    client.once('error', (error: Error & { code?: number }) => {
      client.end(true);
      resolve({ code: error.code, ...(reasonString ? { reasonString } : {}) });
    });
  });
}

describe('broker + authentication-method chains', () => {
  let lab: TestRealm;
  let gss: GssSupervisor;
  let broker: Broker;
  let cert: { certFile: string; keyFile: string };
  const x509 = new RecordingX509();
  const lines: string[] = [];
  const urls: Record<string, string> = {};

  const exchangeOf = (clientId: string): Exchange => {
    const found = broker.exchanges.filter((e) => e.meta?.clientId === clientId);
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  beforeAll(async () => {
    lab = await createTestRealm();
    gss = new GssSupervisor();
    cert = await ensureSelfSignedCertificate(path.join(lab.dir, 'tls'));
    const profile = labProfile(lab.name, { krb5Config: lab.realm.paths.krb5Conf, rcacheDir: lab.realm.paths.rcacheDir });
    const authenticators = [await kerberosAuthenticator({ gss, profile, keytabFile: lab.serviceKeytab, principal: `mqtt/localhost@${lab.name}`, variant: 'emqx' })];
    const a = { alice: { password: 'alice-in-A', attributes: { floor: 'A1', role: 'sensor' } } };
    const b = { alice: { password: 'alice-in-B' } };
    const listeners: (ListenerConfig & { key: string })[] = [
      { key: 'up+krb', protocol: 'tcp', authenticators, chain: new AuthChain({ methods: [usernamePassword(a), methodFor({ kind: 'kerberos', credentials: 'lab' })] }) },
      { key: 'A,B', protocol: 'tcp', chain: new AuthChain({ methods: [usernamePassword(a), usernamePassword(b)] }) },
      { key: 'B,A', protocol: 'tcp', chain: new AuthChain({ methods: [usernamePassword(b), usernamePassword(a)] }) },
      { key: 'open', protocol: 'tcp', chain: new AuthChain({ methods: [usernamePassword(a)], authenticationEnabled: false }) },
      { key: 'tls', protocol: 'tls', tls: cert, chain: new AuthChain({ methods: [x509, usernamePassword(a)] }) },
    ];
    broker = await startBroker({ listeners: listeners.map(({ key: _key, ...l }) => ({ port: 0, ...l })) });
    listeners.forEach((l, i) => (urls[l.key] = broker.listeners[i]!.url));
    broker.onExchange((event) => {
      if (event.kind === 'verdict' && event.exchange.verdict.outcome !== 'pending') lines.push(verdictLine(event.exchange));
    });
  });
  afterAll(async () => {
    await broker?.close();
    await gss?.dispose();
    await lab?.destroy();
  });

  it('relevant and valid: CONNACK 0x00, attributes and principal in the Exchange, the trace in the log line', async () => {
    const outcome = await connect(urls['up+krb']!, { clientId: 'ok-1', username: 'alice', password: 'alice-in-A' });
    expect(outcome.code).toBe(0);
    expect(outcome.connack?.properties?.authenticationMethod).toBeUndefined();
    const exchange = exchangeOf('ok-1');
    expect(exchange.verdict.outcome).toBe('success');
    expect(exchange.identity?.principal).toBe('alice');
    expect(exchange.authChain).toEqual({
      allowed: true,
      endedBy: 'usernamePassword',
      attributes: { floor: 'A1', role: 'sensor' },
      principal: 'alice',
      reason: 'usernamePassword ends the chain: allowed as alice (password matches)',
      trace: [{ method: 'usernamePassword', relevant: true, valid: true, why: 'relevant: username present; valid: password matches', attributes: { floor: 'A1', role: 'sensor' } }],
    });
    const step = exchange.steps.find((s) => s.transport.packet === 'auth chain');
    expect(step?.summary).toMatch(/^chain\[usernamePassword \+\/\+ > => allowed by usernamePassword\]/);
    expect(JSON.stringify(exchange)).not.toContain('alice-in-A'); // the password is never recorded
    const line = lines.find((l) => l.includes('client=ok-1'));
    expect(line).toContain('chain[usernamePassword +/+ > => allowed by usernamePassword]');
    expect(line).toContain(': success');
  });

  it('relevant but invalid stops the chain even though the next method would pass; the order changes the outcome', async () => {
    const denied = await connect(urls['A,B']!, { clientId: 'order-1', username: 'alice', password: 'alice-in-B' });
    expect(denied.code).toBe(0x86);
    expect(denied.reasonString).toContain('usernamePassword ends the chain: denied');
    const chain = exchangeOf('order-1').authChain!;
    expect(chain).toMatchObject({ allowed: false, endedBy: 'usernamePassword' });
    expect(chain.trace).toHaveLength(1); // B never asked
    expect(chain.trace[0]!.why).toBe('relevant: username present; invalid: password does not match the hash of alice');
    const allowed = await connect(urls['B,A']!, { clientId: 'order-2', username: 'alice', password: 'alice-in-B' });
    expect(allowed.code).toBe(0);
    expect(exchangeOf('order-2').authChain).toMatchObject({ allowed: true, endedBy: 'usernamePassword', attributes: {} });
  });

  it('nothing relevant: CONNACK 0x87 with the reason, every method in the trace', async () => {
    const outcome = await connect(urls['up+krb']!, { clientId: 'none-1' });
    expect(outcome.code).toBe(0x87);
    expect(outcome.reasonString).toContain('no method in the chain is relevant');
    const exchange = exchangeOf('none-1');
    expect(exchange.authChain?.trace).toEqual([
      { method: 'usernamePassword', relevant: false, why: 'not relevant: no username' },
      { method: 'kerberos', relevant: false, why: 'not relevant: no Authentication Method in CONNECT' },
    ]);
    expect(exchange.verdict).toMatchObject({ outcome: 'failure', code: '0x87 Not Authorized' });
    expect(lines.find((l) => l.includes('client=none-1'))).toContain('=> denied (nothing relevant)');
  });

  it('MQTT 3.1.1 through the chain: return code 4 for a bad password, 0 for a good one', async () => {
    expect((await connect(urls['A,B']!, { protocolVersion: 4, clientId: 'v4-bad', username: 'alice', password: 'nope' })).code).toBe(4);
    expect((await connect(urls['A,B']!, { protocolVersion: 4, clientId: 'v4-ok', username: 'alice', password: 'alice-in-A' })).code).toBe(0);
    expect(exchangeOf('v4-ok').authChain?.allowed).toBe(true);
  });

  it('authenticationEnabled false lets everyone in, with no method asked', async () => {
    const outcome = await connect(urls.open!, { clientId: 'open-1', username: 'mallory', password: 'whatever' });
    expect(outcome.code).toBe(0);
    expect(exchangeOf('open-1').authChain).toMatchObject({ allowed: true, endedBy: null, trace: [] });
    expect(exchangeOf('open-1').verdict.reason).toMatch(/authenticationEnabled is false/);
  });

  it('kerberos after a usernamePassword that is not relevant (no username): GSSAPI-KERBEROS with MQTT.js ends the chain, valid', async () => {
    const worker = gss.worker(testRealmProfile(lab));
    const { handle } = (await worker.createClient('mqtt@localhost')).value;
    const apReq = (await worker.clientStep(handle, '')).value.response;
    const client: MqttClient = mqtt.connect(urls['up+krb']!, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      clientId: 'krb-1',
      properties: { authenticationMethod: METHOD, authenticationData: Buffer.from(apReq, 'base64') },
    });
    let round = 0;
    client.handleAuth = (packet, callback) => {
      const data = (packet.properties?.authenticationData as Buffer | undefined)?.toString('base64') ?? '';
      void (async () => {
        round++;
        let answer = '';
        if (round === 1) answer = (await worker.clientStep(handle, data)).value.response;
        else {
          await worker.clientUnwrap(handle, data);
          answer = (await worker.clientWrap(handle, Buffer.from([1, 0, 0, 0]).toString('base64'), { protect: false })).value.token;
        }
        callback(undefined, { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from(answer, 'base64') } } as Packet);
      })().catch((error: Error) => callback(error));
    };
    const connack = await new Promise<Packet & { properties?: Record<string, unknown> }>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    await client.endAsync(true);
    expect(connack.properties?.authenticationMethod).toBe(METHOD);
    const exchange = exchangeOf('krb-1');
    expect(exchange.verdict.outcome).toBe('success');
    expect(exchange.identity?.principal).toBe(`alice@${lab.name}`);
    const chain = exchange.authChain!;
    expect(chain).toMatchObject({ allowed: true, endedBy: 'kerberos', principal: `alice@${lab.name}` });
    expect(chain.trace[0]).toEqual({ method: 'usernamePassword', relevant: false, why: 'not relevant: no username' });
    expect(chain.trace[1]).toMatchObject({ method: 'kerberos', relevant: true, valid: true });
    expect(chain.trace[1]!.why).toMatch(/^relevant: Authentication Method is GSSAPI-KERBEROS; valid: authenticated as alice@/);
    // The chain's step comes first; the authenticator's CONNECT (with the AP-REQ) follows it.
    expect(exchange.steps.map((s) => s.transport.packet).slice(0, 2)).toEqual(['auth chain', 'CONNECT']);
    expect(lines.find((l) => l.includes('client=krb-1'))).toContain('chain[usernamePassword -(no username) > kerberos +/+ > => allowed by kerberos]');
  });

  it('kerberos relevant but the token is bad: the conversation fails, the chain entry says invalid', async () => {
    const outcome = await connect(urls['up+krb']!, { clientId: 'krb-bad', properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('not a token') } });
    expect(outcome.code).not.toBe(0);
    const chain = exchangeOf('krb-bad').authChain!;
    expect(chain).toMatchObject({ allowed: false, endedBy: 'kerberos' });
    expect(chain.trace[1]).toMatchObject({ method: 'kerberos', relevant: true, valid: false });
    expect(lines.find((l) => l.includes('client=krb-bad'))).toContain('kerberos +/- > => denied by kerberos');
  });

  it('TLS: the chain gets the client certificate chain, leaf first, as DER; without one x509 is not relevant', async () => {
    const dir = path.join(lab.dir, 'client-pki');
    await runTool('mkdir', ['-p', dir], { timeoutMs: 5000 });
    const f = (n: string) => path.join(dir, n);
    const openssl = async (args: string[]) => {
      const run = await runTool('openssl', args, { timeoutMs: 30_000 });
      expect(run.ok, run.stderr).toBe(true);
    };
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=Chain Test CA']);
    await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('client.key'), '-out', f('client.csr'), '-subj', '/CN=device-7']);
    await openssl(['x509', '-req', '-in', f('client.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('client.pem'), '-days', '1']);
    await writeFile(f('bundle.pem'), (await readFile(f('client.pem'), 'utf8')) + (await readFile(f('ca.pem'), 'utf8')));
    const ca = await readFile(cert.certFile);
    x509.seen = [];
    const withCert = await connect(urls.tls!, { clientId: 'tls-1', ca, cert: await readFile(f('bundle.pem')), key: await readFile(f('client.key')) });
    expect(withCert.code).toBe(0);
    const presented = x509.seen[0]!.clientCertificates!;
    expect(presented.map((der) => new X509Certificate(der).subject)).toEqual(['CN=device-7', 'CN=Chain Test CA']);
    expect(x509.seen[0]!.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(exchangeOf('tls-1').authChain).toMatchObject({ allowed: true, endedBy: 'x509', principal: 'CN=device-7' });
    // The real x509 method on its own TLS listener: the CA is trusted; another self-signed one is not.
    const x509Broker = await startBroker({ listeners: [{ protocol: 'tls', port: 0, tls: cert, chain: new AuthChain({ methods: [methodFor({ kind: 'x509', trustedCaPem: await readFile(f('ca.pem'), 'utf8') })] }) }] });
    try {
      const real = x509Broker.listeners[0]!.url;
      expect((await connect(real, { clientId: 'x509-ok', ca, cert: await readFile(f('bundle.pem')), key: await readFile(f('client.key')) })).code).toBe(0);
      const ok = x509Broker.exchanges.find((e) => e.meta?.clientId === 'x509-ok')!;
      expect(ok.authChain).toMatchObject({ allowed: true, endedBy: 'x509', trace: [{ method: 'x509', relevant: true, valid: true }] });
      await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('stranger.key'), '-out', f('stranger.pem'), '-days', '1', '-subj', '/CN=stranger']);
      const refused = await connect(real, { clientId: 'x509-stranger', ca, cert: await readFile(f('stranger.pem')), key: await readFile(f('stranger.key')) });
      expect(refused.code).toBe(0x87);
      const stranger = x509Broker.exchanges.find((e) => e.meta?.clientId === 'x509-stranger')!;
      expect(stranger.authChain).toMatchObject({ allowed: false, endedBy: 'x509', trace: [{ method: 'x509', relevant: true, valid: false }] });
      expect(refused.reasonString).toBe(stranger.authChain!.reason);
    } finally {
      await x509Broker.close();
    }
    const without = await connect(urls.tls!, { clientId: 'tls-2', ca, username: 'alice', password: 'alice-in-A' });
    expect(without.code).toBe(0);
    expect(exchangeOf('tls-2').authChain?.trace.map((e) => [e.method, e.relevant])).toEqual([
      ['x509', false],
      ['usernamePassword', true],
    ]);
  });

  it('a custom server that refuses the connection is not relevant: the chain falls through to usernamePassword', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const custom = methodFor({ kind: 'custom', endpoint: `https://127.0.0.1:${closedPort}/auth`, timeoutMs: 2000 });
    const b = await startBroker({ listeners: [{ protocol: 'tcp', port: 0, chain: new AuthChain({ methods: [custom, usernamePassword({ alice: { password: 'pw' } })] }) }] });
    try {
      expect((await connect(b.listeners[0]!.url, { clientId: 'fall-1', username: 'alice', password: 'pw' })).code).toBe(0);
      const chain = b.exchanges[0]!.authChain!;
      expect(chain).toMatchObject({ allowed: true, endedBy: 'usernamePassword' });
      expect(chain.trace.map((e) => [e.method, e.relevant, e.valid])).toEqual([
        ['custom', false, undefined],
        ['usernamePassword', true, true],
      ]);
    } finally {
      await b.close();
    }
  });

  it('sat through the broker: a $sat token with the right audience passes; a wrong audience, an expired token or another key stop the chain (0x86)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const other = await generateKeyPair('ES256');
    const sat = methodFor({ kind: 'sat', audiences: ['bench-broker'], publicKeysPem: [await exportSPKI(publicKey)] });
    const b = await startBroker({ listeners: [{ protocol: 'tcp', port: 0, chain: new AuthChain({ methods: [sat, usernamePassword({ alice: { password: 'pw' } })] }) }] });
    const token = (audience: string, expires: string | number, key = privateKey) =>
      new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setSubject('system:serviceaccount:default:mqtt-client').setAudience(audience).setIssuedAt().setExpirationTime(expires).sign(key);
    const url = b.listeners[0]!.url;
    try {
      expect((await connect(url, { clientId: 'sat-1', username: '$sat', password: await token('bench-broker', '5m') })).code).toBe(0);
      expect(b.exchanges.find((e) => e.meta?.clientId === 'sat-1')!.authChain).toMatchObject({ allowed: true, endedBy: 'sat', principal: 'system:serviceaccount:default:mqtt-client' });
      const refusals: [string, string, RegExp][] = [
        ['sat-aud', await token('someone-else', '5m'), /audience/],
        ['sat-exp', await token('bench-broker', Math.floor(Date.now() / 1000) - 60), /expired/],
        ['sat-key', await token('bench-broker', '5m', other.privateKey), /signature/],
      ];
      for (const [clientId, password, why] of refusals) {
        expect((await connect(url, { clientId, username: '$sat', password })).code, clientId).toBe(0x86);
        const chain = b.exchanges.find((e) => e.meta?.clientId === clientId)!.authChain!;
        expect(chain.trace, clientId).toHaveLength(1); // usernamePassword after it is never asked
        expect(chain.trace[0]).toMatchObject({ method: 'sat', relevant: true, valid: false });
        expect(chain.trace[0]!.why, clientId).toMatch(why);
      }
    } finally {
      await b.close();
    }
  });

  it('a chain that does not decide within the deadline: 0x87, and the slow method is aborted', async () => {
    let aborted = false;
    const slow: ChainMethod = {
      kind: 'custom',
      check: (_credentials, signal) =>
        new Promise<MethodVerdict>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve({ relevant: false, relevantWhy: 'aborted' });
          });
        }),
    };
    const b = await startBroker({ listeners: [{ protocol: 'tcp', port: 0, authDeadlineMs: 300, holdDeadlineWhileStepping: false, chain: new AuthChain({ methods: [slow] }) }] });
    try {
      const outcome = await connect(b.listeners[0]!.url, { clientId: 'slow-1', username: 'x', password: 'y' });
      expect(outcome.code).toBe(0x87);
      expect(outcome.reasonString).toMatch(/the authentication chain did not decide within/);
      expect(aborted).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const exchange = b.exchanges[0]!;
      expect(exchange.authChain).toBeUndefined(); // the chain never decided
      expect(exchange.verdict.reason).toMatch(/the authentication chain did not decide within/);
    } finally {
      await b.close();
    }
  });
});
