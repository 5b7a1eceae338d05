/**
 * The custom method against real HTTPS servers on loopback: the sample server (in-process and as
 * `kbench chain custom-server`), and servers that misbehave — closed port, silence, a certificate
 * from another CA or for another name, an answer that is not JSON. Pass and fail end the chain;
 * every failure to communicate is "not relevant", with the reason. CAs are made with openssl.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUsersToml, startCustomAuthServer, type CustomAuthServer } from '../../main/broker/chain/custom-server';
import { CustomConfigError, CustomMethod, type CustomAuthRequest } from '../../main/broker/chain/methods/custom';
import type { ChainCredentials, CustomMethodConfig } from '../../main/broker/chain/types';
import { runKbench } from '../helpers/cli';
import { issueServerCert, makeTestCa, type TestCa } from '../helpers/test-ca';

const signal = new AbortController().signal;

function credentials(username: string | undefined, password?: string, extra: Partial<ChainCredentials> = {}): ChainCredentials {
  return {
    clientId: 'sensor-7',
    mqttVersion: 5,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password: Buffer.from(password) } : {}),
    remoteAddress: '127.0.0.1:50412',
    listener: { name: 'tls://127.0.0.1:8883', protocol: 'tls' },
    ...extra,
  };
}

const USERS = `
[alice]
password = "s3cret-alice"
[alice.attributes]
floor = "1"
site = "plant-a"

[bob]
password = "pa:ss"
`;

let dir: string;
let caA: TestCa;
let caB: TestCa;
let serverA: { cert: string; key: string; leafPem: string };
let serverB: { cert: string; key: string };
let wrongName: { cert: string; key: string };
let sample: CustomAuthServer;
const sampleLog: string[] = [];
const closers: (() => Promise<void>)[] = [];

/** A one-off HTTPS server on loopback; closed after the suite. */
async function httpsServer(options: https.ServerOptions, handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<string> {
  const server = https.createServer(options, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/auth`;
}

const method = (config: Partial<CustomMethodConfig> & { endpoint: string }) => new CustomMethod({ kind: 'custom', caCertPem: caA.certPem, ...config });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-chain-custom-'));
  [caA, caB] = await Promise.all([makeTestCa(dir, 'a'), makeTestCa(dir, 'b')]);
  [serverA, serverB, wrongName] = await Promise.all([
    issueServerCert(caA, dir, 'server-a'),
    issueServerCert(caB, dir, 'server-b'),
    issueServerCert(caA, dir, 'wrong-name', 'DNS:auth.example.com'),
  ]);
  sample = await startCustomAuthServer({ certPem: serverA.cert, keyPem: serverA.key, users: parseUsersToml(USERS), log: (line) => sampleLog.push(line) });
}, 60_000);

afterAll(async () => {
  await sample?.close();
  for (const close of closers) await close();
  await rm(dir, { recursive: true, force: true });
});

describe('custom: the server decides', () => {
  it('passes with the server\'s attributes; the principal is the username', async () => {
    const verdict = await method({ endpoint: sample.url }).check(credentials('alice', 's3cret-alice'), signal);
    expect(verdict).toEqual({
      relevant: true,
      relevantWhy: `custom server ${sample.url} answered`,
      valid: true,
      validWhy: 'server passed it',
      attributes: { floor: '1', site: 'plant-a' },
      principal: 'alice',
    });
    expect(await method({ endpoint: sample.url }).check(credentials('bob', 'pa:ss'), signal)).toMatchObject({ valid: true, attributes: {} });
  });

  it('fails with the server\'s reason, and the password is nowhere in the verdict or the log', async () => {
    const verdict = await method({ endpoint: sample.url }).check(credentials('alice', 'not-the-password'), signal);
    expect(verdict).toMatchObject({ relevant: true, valid: false, validWhy: 'server failed it: wrong password' });
    expect(await method({ endpoint: sample.url }).check(credentials('mallory', 'x'), signal)).toMatchObject({ relevant: true, valid: false, validWhy: 'server failed it: unknown user mallory' });
    expect(JSON.stringify(verdict)).not.toContain('not-the-password');
    expect(sampleLog.join('')).not.toMatch(/not-the-password|s3cret-alice/);
    expect(sampleLog.some((line) => /client=sensor-7 username=alice from 127\.0\.0\.1:50412: fail \(wrong password\)/.test(line))).toBe(true);
  });

  it('fails on HTTP 403 with the reason in the body', async () => {
    const url = await httpsServer({ cert: serverA.cert, key: serverA.key }, (_req, _body, res) => void res.writeHead(403, { 'content-type': 'application/json' }).end('{"result":"fail","reason":"banned device"}'));
    expect(await method({ endpoint: url }).check(credentials('alice', 'x'), signal)).toMatchObject({ relevant: true, valid: false, validWhy: 'server refused (HTTP 403): banned device' });
  });

  it('sends every credential as documented, with the client certificate, extra headers and the expiry', async () => {
    let seen: { body?: CustomAuthRequest; header?: string | string[]; peer?: string | string[] } = {};
    const expiry = new Date(Date.now() + 3_600_000).toISOString();
    const url = await httpsServer({ cert: serverA.cert, key: serverA.key, ca: caA.certPem, requestCert: true, rejectUnauthorized: true }, (req, body, res) => {
      seen = { body: JSON.parse(body) as CustomAuthRequest, header: req.headers['x-bench-key'], peer: (req.socket as TLSSocket).getPeerCertificate().subject.CN };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: 'pass', attributes: { role: 'sensor' }, expiry, principal: 'device/7' }));
    });
    const client = await issueServerCert(caA, dir, 'broker-client');
    const leafDer = Buffer.from(new X509Certificate(serverA.leafPem).raw);
    const m = method({ endpoint: url, clientCertPem: client.cert, clientKeyPem: client.key, headers: { 'x-bench-key': 'k1' } });
    const verdict = await m.check(credentials('alice', 'pw\u00e9', { authenticationMethod: 'X-TOKEN', authenticationData: Buffer.from([0, 1, 2, 255]), clientCertificates: [leafDer] }), signal);
    expect(verdict).toMatchObject({ valid: true, validWhy: `server passed it until ${expiry}`, attributes: { role: 'sensor' }, principal: 'device/7' });
    expect(seen.header).toBe('k1');
    expect(seen.peer).toBe('broker-client');
    expect(seen.body).toEqual({
      version: 1,
      clientId: 'sensor-7',
      mqttVersion: 5,
      username: 'alice',
      password: Buffer.from('pw\u00e9').toString('base64'),
      authenticationMethod: 'X-TOKEN',
      authenticationData: 'AAEC/w==',
      clientCertificateChain: [expect.stringMatching(/^-----BEGIN CERTIFICATE-----\n/)],
      remoteAddress: '127.0.0.1:50412',
      listener: { name: 'tls://127.0.0.1:8883', protocol: 'tls' },
    });
    expect(new X509Certificate(seen.body!.clientCertificateChain![0]!).fingerprint256).toBe(new X509Certificate(serverA.leafPem).fingerprint256);
  });
});

describe('custom: a server that cannot be reached is not relevant', () => {
  it('closed port: connect ECONNREFUSED', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const verdict = await method({ endpoint: `https://127.0.0.1:${port}/auth` }).check(credentials('alice', 's3cret-alice'), signal);
    expect(verdict).toEqual({ relevant: false, relevantWhy: `custom server https://127.0.0.1:${port}/auth unreachable: connect ECONNREFUSED 127.0.0.1:${port}` });
  });

  it('a server that never answers: timeout', async () => {
    const silentHttps = await httpsServer({ cert: serverA.cert, key: serverA.key }, () => {});
    const started = Date.now();
    const verdict = await method({ endpoint: silentHttps, timeoutMs: 300 }).check(credentials('alice', 's3cret-alice'), signal);
    expect(verdict).toEqual({ relevant: false, relevantWhy: `custom server ${silentHttps} unreachable: no answer within 300 ms` });
    expect(Date.now() - started).toBeLessThan(3000);
    // A TCP listener that never even does the TLS handshake.
    const sockets: net.Socket[] = [];
    const mute = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => (sockets.forEach((s) => s.destroy()), mute.close(() => resolve()))));
    const url = `https://127.0.0.1:${(mute.address() as AddressInfo).port}/`;
    expect(await method({ endpoint: url, timeoutMs: 300 }).check(credentials('alice', 'x'), signal)).toMatchObject({ relevant: false, relevantWhy: expect.stringContaining('no answer within 300 ms') });
  });

  it('a certificate from another CA, or for another name: TLS', async () => {
    const otherCa = await httpsServer({ cert: serverB.cert, key: serverB.key }, (_req, _body, res) => void res.end('{"result":"pass"}'));
    const verdict = await method({ endpoint: otherCa }).check(credentials('alice', 's3cret-alice'), signal);
    expect(verdict.relevant).toBe(false);
    expect(verdict.relevantWhy).toMatch(new RegExp(`^custom server ${otherCa} unreachable: TLS: .+ \\(not signed by the configured CA\\)$`));
    const otherName = await httpsServer({ cert: wrongName.cert, key: wrongName.key }, (_req, _body, res) => void res.end('{"result":"pass"}'));
    const named = await method({ endpoint: otherName }).check(credentials('alice', 's3cret-alice'), signal);
    expect(named).toMatchObject({ relevant: false, relevantWhy: `custom server ${otherName} unreachable: TLS: the server's certificate is for DNS:auth.example.com, not 127.0.0.1` });
  });

  it('an answer that is not the protocol: not JSON, unknown result, HTTP 500', async () => {
    const html = await httpsServer({ cert: serverA.cert, key: serverA.key }, (_req, _body, res) => void res.writeHead(200).end('<html>login</html>'));
    expect(await method({ endpoint: html }).check(credentials('a', 'b'), signal)).toMatchObject({ relevant: false, relevantWhy: expect.stringContaining('answer is not JSON ("<html>login</html>")') });
    const odd = await httpsServer({ cert: serverA.cert, key: serverA.key }, (_req, _body, res) => void res.writeHead(200).end('{"result":"maybe"}'));
    expect(await method({ endpoint: odd }).check(credentials('a', 'b'), signal)).toMatchObject({ relevant: false, relevantWhy: expect.stringContaining('answer.result is "maybe"') });
    const broken = await httpsServer({ cert: serverA.cert, key: serverA.key }, (_req, _body, res) => void res.writeHead(500).end('oops'));
    expect(await method({ endpoint: broken }).check(credentials('a', 'b'), signal)).toEqual({ relevant: false, relevantWhy: `custom server ${broken} answered HTTP 500` });
  });
});

describe('custom: configuration', () => {
  it('refuses http:// and half a client certificate when the chain is built', () => {
    expect(() => new CustomMethod({ kind: 'custom', endpoint: 'http://127.0.0.1:8080/auth' })).toThrow(CustomConfigError);
    expect(() => new CustomMethod({ kind: 'custom', endpoint: 'http://127.0.0.1:8080/auth' })).toThrow('custom: endpoint must be https:// (passwords cross it), not http://');
    expect(() => new CustomMethod({ kind: 'custom', endpoint: 'https://127.0.0.1/', clientCertPem: serverA.cert })).toThrow(/go together/);
    expect(() => new CustomMethod({ kind: 'custom', endpoint: 'https://127.0.0.1/', caCertPem: 'junk' })).toThrow(/not a PEM certificate/);
    expect(() => new CustomMethod({ kind: 'custom', endpoint: 'not a url' })).toThrow(/is not a URL/);
  });
});

describe('kbench chain custom-server', () => {
  let child: ChildProcess | undefined;
  let output = '';

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child!.once('exit', resolve));
    }
  });

  it('refuses a users file with a syntax error, naming the line', async () => {
    const file = path.join(dir, 'bad-users.toml');
    await writeFile(file, '[alice]\npassword = "x"\n[bob\n');
    const run = await runKbench(['chain', 'custom-server', '--users', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}:3:`);
  });

  it('runs as a separate process, prints its CA, and decides (needs the build)', async () => {
    const usersFile = path.join(dir, 'users.toml');
    await writeFile(usersFile, USERS);
    const env = { ...process.env, KBENCH_DATA_DIR: path.join(dir, 'data'), NO_COLOR: '1' };
    child = spawn(process.execPath, [path.resolve('bin/kbench.js'), 'chain', 'custom-server', '--port', '0', '--users', usersFile, '--allow', 'carol:c-pass'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start within 30 s:\n${output}`)), 30_000);
      const poll = setInterval(() => {
        const done = /Press Ctrl\+C/.test(output) ? undefined : child!.exitCode !== null ? new Error(`exited: ${output}`) : null;
        if (done === null) return;
        clearInterval(poll);
        clearTimeout(timer);
        if (done) reject(done);
        else resolve();
      }, 50);
    });
    const url = /listening on (https:\/\/127\.0\.0\.1:\d+\/)/.exec(output)![1]!;
    const caFile = /CA certificate (\S+)/.exec(output)![1]!;
    expect(output).toContain('3 users: alice, bob, carol');
    const m = new CustomMethod({ kind: 'custom', endpoint: url, caCertPem: await readFile(caFile, 'utf8') });
    expect(await m.check(credentials('carol', 'c-pass'), signal)).toMatchObject({ relevant: true, valid: true, principal: 'carol' });
    expect(await m.check(credentials('alice', 's3cret-alice'), signal)).toMatchObject({ valid: true, attributes: { floor: '1', site: 'plant-a' } });
    expect(await m.check(credentials('carol', 'nope'), signal)).toMatchObject({ relevant: true, valid: false, validWhy: 'server failed it: wrong password' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(output.match(/client=sensor-7 username=\S+ from 127\.0\.0\.1:50412: (pass|fail)/g)).toHaveLength(3);
    expect(output).not.toMatch(/c-pass|s3cret-alice|nope/);
  }, 60_000);
});
