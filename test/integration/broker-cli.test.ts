/**
 * `kbench broker` and `kbench probe` as a user runs them: separate processes, the lab realm they
 * bring up themselves, real sockets. Needs the build (bin/kbench.js loads out/main/cli.js).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exchange } from '../../main/exchange/model';
import { kbenchProcess } from '../helpers/cli';
import { connectPacket, RawMqttClient } from '../helpers/mqtt-raw';

const kbenchBin = path.resolve('bin/kbench.js');
const kbench = (args: string[], env: NodeJS.ProcessEnv) => kbenchProcess(args, env);

/** Resolves with the first match of `pattern` in what `child` prints (stdout), or rejects after `ms`. */
function waitForOutput(child: ChildProcess, pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms; output so far:\n${seen}`)), ms);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = pattern.exec(seen);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(match);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing ${pattern}:\n${seen}`)));
  });
}

describe('kbench broker and kbench probe (separate processes)', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let broker: ChildProcess;
  let brokerOutput = '';
  let url: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-broker-cli-'));
    env = { ...process.env, KBENCH_DATA_DIR: dataDir, NO_COLOR: '1' };
    delete env.KRB5_TRACE;
    broker = spawn(process.execPath, [kbenchBin, 'broker', '--lab', '--tcp', '127.0.0.1:0', '--tls', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    broker.stdout!.on('data', (chunk: Buffer) => (brokerOutput += chunk.toString('utf8')));
    url = (await waitForOutput(broker, /listening on (mqtt:\/\/127\.0\.0\.1:\d+)/, 60_000))[1]!;
    await waitForOutput(broker, /Press Ctrl\+C to stop/, 10_000).catch(() => undefined);
  }, 90_000);

  afterAll(async () => {
    if (broker && broker.exitCode === null) {
      broker.kill('SIGTERM');
      await new Promise((resolve) => broker.once('exit', resolve));
    }
    await kbench(['lab', 'down'], env);
    await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('the probe authenticates, re-authenticates and publishes; the broker logs each verdict', async () => {
    const result = await kbench(['probe', url, '--service', 'mqtt@localhost', '--reauth', '--publish', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const exchanges = JSON.parse(result.stdout) as Exchange[];
    expect(exchanges.map((e) => e.verdict.outcome)).toEqual(['success', 'success']);
    expect(exchanges[0]!.identity?.principal).toBe('alice@BENCH.TEST');
    expect(exchanges[0]!.steps.map((s) => s.transport.packet)).toEqual(['CONNECT', 'AUTH', 'AUTH', 'AUTH', 'AUTH', 'CONNACK']);
    expect(result.stderr).toMatch(/published and received on kbench\/probe\/\w+: "hello from the Kerberos Bench probe" \(content type text\/plain\)/);
    // Each verdict (the connect, then the re-authentication) is one line in the broker's log.
    await expect.poll(() => brokerOutput.split('\n').filter((l) => /GSSAPI-KERBEROS: success 0x00 Success as alice@BENCH\.TEST/.test(l)).length).toBe(2);
    expect(brokerOutput).toMatch(/re-authenticated 1 time/);
  }, 60_000);

  it('over TLS, trusting the certificate the broker printed', async () => {
    const tlsUrl = /listening on (mqtts:\/\/127\.0\.0\.1:\d+)/.exec(brokerOutput)![1]!;
    const ca = /TLS certificate (\S+) \(self-signed for localhost: probe with --ca \S+\)/.exec(brokerOutput)![1]!;
    expect(brokerOutput).toMatch(/anonymous clients refused \(0x87 Not Authorized\)/);
    const result = await kbench(['probe', tlsUrl, '--service', 'mqtt@localhost', '--ca', ca], env);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^success \(0x00 Success\) as alice@BENCH\.TEST: connected to mqtts:/m);
    // Without the certificate, TLS refuses the self-signed broker.
    const untrusted = await kbench(['probe', tlsUrl, '--service', 'mqtt@localhost'], env);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stdout).toMatch(/^failure: self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\): the broker.s certificate is not trusted — give its CA certificate \(--ca FILE\)/m);
  }, 60_000);

  it('a refused probe says why in words and exits 1 (and does exit)', async () => {
    const unknown = await kbench(['probe', url, '--service', 'nosuch@localhost'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/^failure \(GSS failure\): .*Server nosuch\/localhost@BENCH.TEST not found in Kerberos database$/m);

    const refused = await kbench(['probe', 'mqtt://127.0.0.1:1', '--service', 'mqtt@localhost', '--json'], env);
    expect(refused.code).toBe(1);
    expect((JSON.parse(refused.stdout) as Exchange).verdict).toMatchObject({ outcome: 'failure', reason: expect.stringMatching(/ECONNREFUSED/) });
  }, 60_000);

  it('with the default service (mqtt@<host of the URL>) names the SPN asked for and the one the lab realm knows', async () => {
    // mqtt://127.0.0.1:PORT asks for mqtt/127.0.0.1@BENCH.TEST; the lab registers mqtt/localhost.
    const result = await kbench(['probe', url], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^failure \(GSS failure\): .*Server mqtt\/127\.0\.0\.1@BENCH\.TEST not found in Kerberos database$/m);
    expect(result.stdout).toContain('1. Service principal not found in the Kerberos database');
    expect(result.stdout).toContain('cause: The client asked the KDC for mqtt/127.0.0.1@BENCH.TEST (GSS name mqtt@127.0.0.1); BENCH.TEST knows mqtt/localhost@BENCH.TEST for that service.');
    expect(result.stdout).toContain('fix:   Ask for a name the realm knows: --service mqtt@localhost');
    // The broker prints each listener's deadline and whether it holds it for a stepping probe.
    expect(brokerOutput).toMatch(/listening on mqtt:\/\/127\.0\.0\.1:\d+ — authentication deadline 10000 ms, held while a bench probe on this machine steps/);
    // --json keeps stdout to the Exchange; the findings go to standard error.
    const json = await kbench(['probe', url, '--json'], env);
    expect((JSON.parse(json.stdout) as Exchange).verdict.outcome).toBe('failure');
    expect(json.stderr).toContain('--service mqtt@localhost');
  }, 60_000);

  it('logs a client id and method made to forge lines or drive the terminal as one line, escaped', async () => {
    const client = await RawMqttClient.connect({ port: Number(new URL(url).port) });
    const clientId = 'evil\n2026-01-01T00:00:00.000Z forged\u001b[2J';
    client.send(connectPacket(clientId, { method: 'GSSAPI-KERBEROS\r\u001b]0;owned\u0007', data: Buffer.from('garbage') }));
    expect(await client.next()).toMatchObject({ cmd: 'connack', reasonCode: 0x8c });
    client.end();
    await expect.poll(() => brokerOutput.includes('client=evil')).toBe(true);
    const lines = brokerOutput.split('\n').filter((line) => line.includes('client=evil'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('client=evil\\n2026-01-01T00:00:00.000Z forged\\x1b[2J ');
    expect(lines[0]).toContain('GSSAPI-KERBEROS\\r\\x1b]0;owned\\x07: failure 0x8c');
    expect(brokerOutput).not.toMatch(/^2026-01-01T00:00:00\.000Z forged/m);
    // eslint-disable-next-line no-control-regex -- no raw control character may reach the terminal
    expect(brokerOutput).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  }, 30_000);

  it('stops cleanly on SIGTERM', async () => {
    broker.kill('SIGTERM');
    const code = await new Promise((resolve) => broker.once('exit', resolve));
    expect(code).toBe(0);
  }, 30_000);
});
