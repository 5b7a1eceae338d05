/**
 * `kbench http serve` and `kbench http role-mapping` as a user runs them: separate processes, the
 * lab realm brought up by the command, real curl. Needs the build (bin/kbench.js loads out/main/cli.js).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleMappingTestResult } from '../../main/api/http';
import { kbenchProcess } from '../helpers/cli';
import { curl } from '../helpers/http-client';

const kbenchBin = path.resolve('bin/kbench.js');

function waitForOutput(child: ChildProcess, read: () => string, pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const match = pattern.exec(read());
      if (match) {
        clearInterval(timer);
        clearTimeout(deadline);
        resolve(match);
      }
    }, 50);
    const deadline = setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`no ${pattern} within ${ms} ms; output so far:\n${read()}`));
    }, ms);
    child.once('exit', (code) => {
      clearInterval(timer);
      clearTimeout(deadline);
      reject(new Error(`exited with ${code} before printing ${pattern}:\n${read()}`));
    });
  });
}

describe('kbench http serve and role-mapping (separate processes)', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let server: ChildProcess;
  let output = '';
  let url: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-http-cli-'));
    env = { ...process.env, KBENCH_DATA_DIR: dataDir, NO_COLOR: '1' };
    delete env.KRB5_TRACE;
    server = spawn(process.execPath, [kbenchBin, 'http', 'serve', '--lab', '--port', '0', '--basic', '--reveal'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    url = (await waitForOutput(server, () => output, /listening on (http:\/\/localhost:\d+)/, 60_000))[1]!;
    await waitForOutput(server, () => output, /Press Ctrl\+C to stop/, 10_000);
  }, 90_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    await kbenchProcess(['lab', 'down'], env);
    await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('prints the endpoint, the users and (with --reveal) their passwords, then one line per request', async () => {
    expect(output).toMatch(/^Kerberos Bench HTTP endpoint \(elasticsearch mode, MIT engine\): HTTP\/localhost@BENCH\.TEST, keytab \S+$/m);
    expect(output).toMatch(/local users: admin \(admin\), viewer — initial passwords in \S+initial-passwords\.json \(0600; --reveal prints them\)/);
    const admin = /^ {2}admin: (\S+)$/m.exec(output)![1]!;
    const labEnv = JSON.parse((await kbenchProcess(['lab', 'status', '--json'], env)).stdout) as { env: Record<string, string> };
    const curlEnv = { ...env, ...labEnv.env };
    const kerberos = await curl(['--negotiate', '-u', ':', `${url}/_security/_authenticate`], curlEnv);
    expect(kerberos.status).toBe(200);
    const basic = await curl(['-u', `admin:${admin}`, `${url}/_security/_authenticate`], curlEnv);
    expect(basic.status).toBe(200);
    const none = await curl([`${url}/_security/_authenticate`], curlEnv);
    expect(none.status).toBe(401);
    await expect.poll(() => output).toMatch(/GET \/_security\/_authenticate → 200 alice@BENCH\.TEST \[kerberos\] Negotiate — SPNEGO token accepted/);
    await expect.poll(() => output).toMatch(/GET \/_security\/_authenticate → 200 admin \[basic\] Basic — Basic: local user admin/);
    await expect.poll(() => output).toMatch(/GET \/_security\/_authenticate → 401 - \[refused\] Negotiate — the request carries no Authorization header/);
    expect(output.split('\n').filter((line) => line.includes(admin))).toHaveLength(1); // the --reveal line only
  }, 60_000);

  it('takes the realm from an elasticsearch.yml and, with krb.debug, prints the Java acceptor\'s debug lines', async () => {
    const yml = path.join(dataDir, 'elasticsearch.yml');
    const keytab = path.join(dataDir, 'lab', 'BENCH.TEST', 'service.keytab');
    await writeFile(yml, `xpack.security.authc.realms.kerberos.kerb9:\n  order: 1\n  keytab.path: ${keytab}\n  remove_realm_name: true\n  krb.debug: true\n`);
    let debugOutput = '';
    const debugServer = spawn(process.execPath, [kbenchBin, 'http', 'serve', '--lab', '--port', '0', '--config', yml, '--engine', 'java'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    debugServer.stdout!.on('data', (chunk: Buffer) => (debugOutput += chunk.toString('utf8')));
    debugServer.stderr!.on('data', (chunk: Buffer) => (debugOutput += chunk.toString('utf8')));
    try {
      const debugUrl = (await waitForOutput(debugServer, () => debugOutput, /listening on (http:\/\/localhost:\d+)/, 60_000))[1]!;
      expect(debugOutput).toMatch(/Java engine/);
      expect(debugOutput).toMatch(/Kerberos realm kerb9 \(order 1\), remove_realm_name true/);
      const labEnv = JSON.parse((await kbenchProcess(['lab', 'status', '--json'], env)).stdout) as { env: Record<string, string> };
      const reply = await curl(['--negotiate', '-u', ':', `${debugUrl}/_security/_authenticate`], { ...env, ...labEnv.env });
      expect(reply.status, reply.body).toBe(200);
      expect(JSON.parse(reply.body)).toMatchObject({ username: 'alice', authentication_realm: { name: 'kerb9', type: 'kerberos' } });
      // The JVM's own debug output (sun.security.krb5.debug), as an ES node with krb.debug logs it.
      await expect.poll(() => debugOutput, { timeout: 10_000 }).toMatch(/^ {4}krb\.debug .*(Krb5|>>>|KeyTab|principal is)/m);
    } finally {
      debugServer.kill('SIGTERM');
      await new Promise((resolve) => debugServer.once('exit', resolve));
    }
  }, 90_000);

  it('role-mapping put, list, test and delete go through the service', async () => {
    const file = path.join(dataDir, 'mapping.json');
    await writeFile(file, JSON.stringify({ enabled: true, roles: ['ops'], rules: { all: [{ field: { 'realm.name': 'kerb1' } }, { except: { field: { username: 'bob@*' } } }] } }));
    const put = await kbenchProcess(['http', 'role-mapping', 'put', 'ops', file], env);
    expect([put.code, put.stdout.trim()]).toEqual([0, '{"role_mapping":{"created":true}}']);
    const badFile = path.join(dataDir, 'bad.json');
    await writeFile(badFile, '{"enabled":true,"roles":["x"],"rules":{"field":{}}}');
    const bad = await kbenchProcess(['http', 'role-mapping', 'put', 'bad', badFile], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"status": 400');
    const test = await kbenchProcess(['http', 'role-mapping', 'test', '--user', 'alice@BENCH.TEST', '--json'], env);
    const result = JSON.parse(test.stdout) as RoleMappingTestResult;
    expect(result.roles).toEqual(['ops']);
    const text = await kbenchProcess(['http', 'role-mapping', 'test', '--user', 'bob@BENCH.TEST'], env);
    expect(text.stdout).toMatch(/^user bob@BENCH\.TEST \(realm kerb1\): roles \[\]$/m);
    expect(text.stdout).toMatch(/ops: no roles/);
    expect(JSON.parse((await kbenchProcess(['http', 'role-mapping', 'list'], env)).stdout)).toHaveProperty('ops');
    const gone = await kbenchProcess(['http', 'role-mapping', 'delete', 'ops'], env);
    expect([gone.code, gone.stdout.trim()]).toEqual([0, '{"found":true}']);
  }, 60_000);

  it('stops cleanly on SIGTERM', async () => {
    server.kill('SIGTERM');
    const code = await new Promise((resolve) => server.once('exit', resolve));
    expect(code).toBe(0);
  }, 30_000);
});
