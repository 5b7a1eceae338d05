/**
 * `kbench chain test` and `kbench broker --chain` as a user runs them, on Azure's YAML with the
 * password database beside it (hashes computed here with node:crypto): the real usernamePassword
 * method, the kerberos method with the lab realm (which the commands bring up themselves), MQTT.js
 * against the broker process. `kbench broker` runs as a separate process (needs the build).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../main/engine';
import { kbenchProcess, runKbench } from '../helpers/cli';

/** A port nothing listens on right now (the YAML needs a real one: Azure's port is 1-65535). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function connectCode(url: string, options: mqtt.IClientOptions): Promise<number | undefined> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 10_000, ...options });
    client.once('connect', () => (client.end(true), resolve(0)));
    client.once('error', (error: Error & { code?: number }) => (client.end(true), resolve(error.code)));
  });
}

const YAML = `apiVersion: az-edge.com/v1alpha4
kind: BrokerListener
metadata:
  name: plain
spec:
  port: 18830
  authenticationEnabled: true
---
apiVersion: az-edge.com/v1alpha4
kind: BrokerListener
metadata:
  name: open
spec:
  port: 18831
  authenticationEnabled: false
---
apiVersion: az-edge.com/v1alpha4
kind: BrokerAuthentication
metadata:
  name: up-then-kerberos
spec:
  listenerRef:
    - plain
    - open
  authenticationMethods:
    - usernamePassword:
        passwordDatabase: credentials
    - kerberos: {}
`;

function azureHash(password: string): string {
  const salt = randomBytes(16);
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `$pbkdf2-sha512$i=1000,l=64$${b64(salt)}$${b64(pbkdf2Sync(password, salt, 1000, 64, 'sha512'))}`;
}

describe('kbench chain test / kbench broker --chain', () => {
  let dir: string;
  let file: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-chain-cli-'));
    env = { ...process.env, KBENCH_DATA_DIR: path.join(dir, 'data'), NO_COLOR: '1' };
    delete env.KRB5_TRACE;
    delete env.KBENCH_PASSWORD;
    file = path.join(dir, 'chain.yaml');
    await writeFile(file, YAML);
    await mkdir(path.join(dir, 'credentials'));
    await writeFile(path.join(dir, 'credentials', 'passwords.toml'), `[client1]\npassword = "${azureHash('s3cret')}"\n[client1.attributes]\nfloor = "floor1"\n`);
  });
  afterAll(async () => {
    await kbenchProcess(['lab', 'down'], env).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('--json: exactly allowed, endedBy, attributes and the trace; exit 0 when allowed', async () => {
    const run = await runKbench(['chain', 'test', file, '--username', 'client1', '--password', 's3cret', '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      allowed: true,
      endedBy: 'usernamePassword',
      attributes: { floor: 'floor1' },
      trace: [{ method: 'usernamePassword', relevant: true, valid: true, why: 'relevant: username present; valid: password matches' }],
    });
  });

  it('a wrong password ends the chain at usernamePassword (exit 1); the text names each method', async () => {
    const json = await runKbench(['chain', 'test', file, '--username', 'client1', '--password', 'wrong', '--json'], env);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ allowed: false, endedBy: 'usernamePassword', trace: [{ method: 'usernamePassword', relevant: true, valid: false }] });
    const text = await runKbench(['chain', 'test', file, '--username', 'client1', '--password', 'wrong'], env);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('1. usernamePassword: relevant, INVALID');
    expect(text.stdout).toMatch(/DENIED \(0x86 Bad User Name Or Password\): usernamePassword ends the chain/);
  });

  it('--listener open (authenticationEnabled: false) lets anyone in; an unknown listener is named', async () => {
    const run = await runKbench(['chain', 'test', file, '--listener', 'open', '--json'], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ allowed: true, endedBy: null, attributes: {}, trace: [] });
    const unknown = await runKbench(['chain', 'test', file, '--listener', 'nope'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('has no BrokerListener "nope" (it has: plain, open)');
  });

  it('--method GSSAPI-KERBEROS without a username: usernamePassword not relevant, kerberos ends the chain, valid', async () => {
    const run = await runKbench(['chain', 'test', file, '--method', 'GSSAPI-KERBEROS', '--json'], env);
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ allowed: true, endedBy: 'kerberos', attributes: {} });
    expect(result.trace).toHaveLength(2);
    expect(result.trace[0]).toEqual({ method: 'usernamePassword', relevant: false, valid: null, why: 'not relevant: no username' });
    expect(result.trace[1]).toMatchObject({ method: 'kerberos', relevant: true, valid: true });
    expect(run.code).toBe(0);
  }, 120_000);

  describe('kbench broker --chain (a separate process)', () => {
    let broker: ChildProcess;
    let output = '';

    const waitFor = (pattern: RegExp, ms: number): Promise<RegExpMatchArray> =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const timer = setInterval(() => {
          const match = pattern.exec(output);
          if (match) {
            clearInterval(timer);
            resolve(match);
          } else if (Date.now() - started > ms || broker.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(`no ${pattern} within ${ms} ms:\n${output}`));
          }
        }, 50);
      });

    beforeAll(async () => {
      broker = spawn(process.execPath, [path.resolve('bin/kbench.js'), 'broker', '--chain', file, '--lab', '--free-ports'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      broker.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      broker.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      await waitFor(/Press Ctrl\+C to stop/, 90_000);
    }, 120_000);
    afterAll(async () => {
      if (broker && broker.exitCode === null) {
        broker.kill('SIGTERM');
        await new Promise((resolve) => broker.once('exit', resolve));
      }
    }, 30_000);

    it('lists each listener with its chain, and logs each verdict with the trace', async () => {
      const url = (await waitFor(/plain on (mqtt:\/\/127\.0\.0\.1:\d+) — up-then-kerberos: usernamePassword > kerberos/, 1000))[1]!;
      expect(output).toMatch(/open on mqtt:\/\/127\.0\.0\.1:\d+ — up-then-kerberos: authenticationEnabled: false/);
      const code = (password: string, clientId: string) => connectCode(url, { clientId, username: 'client1', password });
      expect(await code('s3cret', 'cli-ok')).toBe(0);
      expect(await code('wrong', 'cli-bad')).toBe(0x86);
      const ok = (await waitFor(/.*client=cli-ok.*/, 5000))[0];
      expect(ok).toContain('success');
      expect(ok).toContain('chain[usernamePassword +/+ > => allowed by usernamePassword]');
      const bad = (await waitFor(/.*client=cli-bad.*/, 5000))[0];
      expect(bad).toContain('failure 0x86 Bad User Name Or Password');
      expect(bad).toContain('chain[usernamePassword +/- > => denied by usernamePassword]');
      expect(output).not.toContain('s3cret');
    });
  });

  it('the broker service with chainFile: listeners from the YAML at their ports, each Exchange with its chain', async () => {
    const port = await freePort();
    const serviceFile = path.join(dir, 'service.yaml');
    // Only the "plain" listener (the service has no --free-ports: the YAML's port is used).
    const [plain, , authentication] = YAML.split('---\n');
    await writeFile(serviceFile, `${plain!.replace('port: 18830', `port: ${port}`)}---\n${authentication!.replace('    - open\n', '')}`);
    const engine = createEngine({ runtime: 'cli', dataDir: path.join(dir, 'service-data') });
    try {
      const status = await engine.api.broker.start({ tcp: false, tls: false, ws: false, credentials: 'lab', variant: 'emqx', allowAnonymous: false, chainFile: serviceFile });
      expect(status).toMatchObject({ running: true, chainFile: serviceFile, method: 'GSSAPI-KERBEROS' });
      expect(status.listeners.map((l) => l.url)).toEqual([`mqtt://127.0.0.1:${port}`]);
      expect(await connectCode(status.listeners[0]!.url, { clientId: 'svc-1', username: 'client1', password: 's3cret' })).toBe(0);
      const exchange = (await engine.api.broker.exchanges()).find((e) => e.meta?.clientId === 'svc-1');
      expect(exchange?.authChain).toMatchObject({ allowed: true, endedBy: 'usernamePassword', attributes: { floor: 'floor1' } });
      await engine.api.broker.stop();
      // A broken file is refused with the file and line of each problem.
      await writeFile(serviceFile, YAML.replace('authenticationEnabled: true', 'authenticationEnabled: maybe'));
      await expect(engine.api.broker.start({ tcp: false, tls: false, ws: false, credentials: 'lab', variant: 'emqx', allowAnonymous: false, chainFile: serviceFile })).rejects.toThrow(/service\.yaml:7 spec\.authenticationEnabled/);
    } finally {
      await engine.api.broker.stop();
      await engine.api.lab.down({ destroy: true }).catch(() => undefined);
      await engine.dispose();
    }
  }, 120_000);
});
