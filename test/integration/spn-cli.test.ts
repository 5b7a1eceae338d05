/**
 * `kbench spn predict` and `kbench http probe` as a user runs them: separate processes, the bench's
 * own lab realm (brought up by the command) for the SPN checks — HTTP/localhost known with the
 * service keytab holding its current kvno, HTTP/127.0.0.1 unknown — and a real Apache with
 * mod_auth_gssapi for the probe. Needs the build (bin/kbench.js loads out/main/cli.js).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NameMapping, SpnBuildResult, SpnCheckResult } from '../../main/api/export';
import type { NegotiateProbeView, SpnPredictionReport } from '../../main/api/http';
import { kdcsUnder, stopPid } from '../../main/lab/kdc-process';
import { skipUnlessApache, startApacheSpnego, type ApacheSpnego } from '../helpers/apache-spnego';
import { kbenchProcess, runKbench } from '../helpers/cli';
import { createTestRealm, type TestRealm } from '../helpers/lab';
import { openLabEngine, type LabEngine } from '../helpers/lab-engine';

describe('kbench spn predict and kbench http probe (separate processes)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const kbench = (args: string[], input?: string) => kbenchProcess(args, env, { timeoutMs: 120_000, ...(input === undefined ? {} : { input }) });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-spn-cli-'));
    env = { ...process.env, KBENCH_DATA_DIR: path.join(dir, 'data'), NO_COLOR: '1' };
    delete env.KRB5_TRACE;
  });

  afterAll(async () => {
    await kbenchProcess(['lab', 'down', '--destroy'], env).catch(() => undefined);
    for (const { pid } of dir ? await kdcsUnder(dir) : []) await stopPid(pid);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('spn predict --json: the lab KDC knows HTTP/localhost and the lab keytab holds its current kvno', async () => {
    const run = await kbench(['spn', 'predict', 'http://localhost:9200/', '--json', '--chromium-allowlist', 'localhost']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as SpnPredictionReport;
    expect(report).toMatchObject({ host: 'localhost', port: 9200, hostIsAddress: false, nonDefaultPort: true });
    expect(Object.fromEntries(report.predictions.map((p) => [p.client, p.spn]))).toEqual({
      mit: 'HTTP/localhost',
      curl: 'HTTP/localhost',
      java: 'HTTP/localhost',
      chromium: 'HTTP/localhost',
      firefox: 'HTTP/localhost',
    });
    // The lab's krb5.conf turns canonicalisation off: the step says so, with the file and line.
    expect(report.predictions[0]!.steps.join('\n')).toMatch(/dns_canonicalize_hostname = false \(.*krb5\.conf:\d+\)/);
    expect(report.predictions.find((p) => p.client === 'chromium')!.noKerberos).toBeUndefined();
    expect(report.checks).toHaveLength(1);
    const [check] = report.checks;
    expect(check).toMatchObject({ spn: 'HTTP/localhost', kdcKnows: true, keytabHoldsCurrentKey: true });
    expect(check!.keytabKvnos).toContain(check!.kdcKvno);
  });

  it('spn predict: an IP address — HTTP/127.0.0.1 is unknown to the KDC (exit 1), in words', async () => {
    const run = await kbench(['spn', 'predict', 'http://127.0.0.1:9200/']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/java\s+HTTP\/127\.0\.0\.1/);
    expect(run.stdout).toMatch(/check HTTP\/127\.0\.0\.1: KDC does not know it, keytab lacks the current key/);
    expect(run.stdout).toMatch(/not found in Kerberos database/);
  });

  it('usage errors exit 2', async () => {
    expect((await kbench(['spn', 'predict', 'ftp://x/'])).code).toBe(2);
    expect((await kbench(['http', 'probe', 'http://localhost/', '--engine', 'perl'])).code).toBe(2);
  });

  describe.skipIf(skipUnlessApache)('http probe against Apache mod_auth_gssapi', () => {
    let lab: TestRealm;
    let apache: ApacheSpnego;
    beforeAll(async () => {
      lab = await createTestRealm('CLI.TEST');
      apache = await startApacheSpnego(lab);
    });
    afterAll(async () => {
      await apache?.stop();
      await lab?.destroy();
    });

    const custom = () => ['--krb5-conf', lab.env.KRB5_CONFIG!, '--ccache', lab.ccache];

    it('prints each hop\'s headers, the tokens, mutual authentication and the SPNs; exit 0 on 200', async () => {
      const run = await kbench(['http', 'probe', `${apache.url}/secure/ok.txt`, ...custom()]);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toMatch(/^#1 GET http:\/\/localhost:\d+\/secure\/ok\.txt$/m);
      expect(run.stdout).toMatch(/^ {2}< WWW-Authenticate: Negotiate$/m);
      expect(run.stdout).toMatch(/^ {2}> Authorization: Negotiate \S+/m);
      expect(run.stdout).toMatch(/C → Authorization: SPNEGO NegTokenInit/);
      expect(run.stdout).toMatch(/✓ success: 200 OK as alice@CLI\.TEST; the server proved itself/);
      expect(run.stdout).toMatch(/^Mutual authentication: verified$/m);
      expect(run.stdout).toMatch(/curl\s+HTTP\/localhost/);
    });

    it('--json: the view; an unknown SPN exits 1 with MIT\'s words', async () => {
      const run = await kbench(['http', 'probe', `http://127.0.0.1:${apache.port}/secure/ok.txt`, ...custom(), '--json']);
      expect(run.code).toBe(1);
      const view = JSON.parse(run.stdout) as NegotiateProbeView;
      expect(view.exchange.verdict.reason).toMatch(/Server HTTP\/127\.0\.0\.1@CLI\.TEST not found in Kerberos database/);
      expect(view.mutual).toBe('not-reached');
    });

    it('--step: Enter sends each request', async () => {
      const run = await kbench(['http', 'probe', `${apache.url}/secure/ok.txt`, ...custom(), '--step'], '\n\n\n');
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stderr).toMatch(/next: GET .* without credentials/);
      expect(run.stderr).toMatch(/next: GET .* with Negotiate \(\d+-byte token\)\n {2}Authorization: Negotiate /);
    });
  });
});

describe('kbench spn build|check|validate|names (in-process, the lab realm)', () => {
  let lab: LabEngine;
  let env: NodeJS.ProcessEnv;
  const kbench = (...args: string[]) => runKbench(args, env);

  beforeAll(async () => {
    lab = await openLabEngine('spn-cli-tools');
    env = { ...process.env, KBENCH_DATA_DIR: lab.dataDir, NO_COLOR: '1' };
    delete env.KRB5_TRACE;
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('build emqx: mqtt/FQDN@REALM, aligned, with its steps; exit 0', async () => {
    const run = await kbench('spn', 'build', 'emqx', 'broker.example.com', 'Broker2.Example.com:1883', '--realm', 'EXAMPLE.COM', '--no-dns');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ {2}✓ mqtt\/broker\.example\.com@EXAMPLE\.COM +broker broker\.example\.com$/m);
    expect(run.stdout).toMatch(/^ {2}✓ mqtt\/broker2\.example\.com@EXAMPLE\.COM +broker Broker2\.Example\.com:1883$/m);
    expect(run.stdout).toMatch(/· EMQX gssapi authenticator: principal = "service\/FQDN@REALM"/);
    expect(run.stdout).not.toMatch(/^DNS:/m);
  });

  it('build emqx with a lower-case realm: EMQX\'s invalid_server_principal_string, exit 1', async () => {
    const run = await kbench('spn', 'build', 'emqx', 'broker', '--realm', 'example.com', '--no-dns');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ mqtt\/broker@example\.com/);
    expect(run.stdout).toMatch(/✗ invalid_server_principal_string: the realm "example\.com" has lower-case letters/);
  });

  it('build elasticsearch --json: the service result, one SPN per node', async () => {
    const run = await kbench('spn', 'build', 'elasticsearch', 'es1.example.com', 'es2.example.com', '--realm', 'EXAMPLE.COM', '--no-dns', '--json');
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as SpnBuildResult;
    expect(result.spns.map((c) => c.spn)).toEqual(['HTTP/es1.example.com@EXAMPLE.COM', 'HTTP/es2.example.com@EXAMPLE.COM']);
    expect(result.dns).toEqual([]);
  });

  it('build hazelcast --canonical: the reverse name, and the DNS section', async () => {
    const run = await kbench('spn', 'build', 'hazelcast', '127.0.0.1', '--realm', 'BENCH.TEST', '--canonical');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/✓ hz\/localhost@BENCH\.TEST +member 127\.0\.0\.1/);
    expect(run.stdout).toMatch(/^DNS:\n {2}127\.0\.0\.1 +→ 127\.0\.0\.1\n +127\.0\.0\.1 ← localhost/m);
    const statik = await kbench('spn', 'build', 'hazelcast', '--realm', 'BENCH.TEST', '--static', 'hz/cluster', '--json');
    expect((JSON.parse(statik.stdout) as SpnBuildResult).spns).toEqual([expect.objectContaining({ spn: 'hz/cluster@BENCH.TEST', for: 'every member' })]);
  });

  it('build usage errors exit 2', async () => {
    expect((await kbench('spn', 'build', 'emqx', 'broker')).code).toBe(2);
    expect((await kbench('spn', 'build', 'kafka', 'broker', '--realm', 'R')).code).toBe(2);
    expect((await kbench('spn', 'build', 'http', 'web', '--realm', 'R', '--prefix', 'hz/')).code).toBe(2);
  });

  it('check: the lab KDC knows HTTP/localhost and the lab keytab holds its current key; exit 0', async () => {
    const run = await kbench('spn', 'check', 'HTTP/localhost');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ {2}KDC {5}✓ knows it \(kvno \d+\)$/m);
    expect(run.stdout).toMatch(/^ {2}keytab {2}✓ .*service\.keytab holds kvno \d+ — the current key$/m);
    expect(run.stdout).not.toMatch(/fix:/);
  });

  it('check --json: an unknown SPN exits 1, with MIT\'s words and the fix', async () => {
    const run = await kbench('spn', 'check', 'HTTP/nowhere.example@BENCH.TEST', '--json');
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as SpnCheckResult;
    expect(result).toMatchObject({ kdcKnows: false, keytabHoldsCurrentKey: null });
    expect(result.detail.join('\n')).toMatch(/not found in Kerberos database/);
    expect(result.fix).toMatch(/kbench lab principal add HTTP\/nowhere\.example@BENCH\.TEST --random/);
  });

  it('check --profile custom (implied by --krb5-conf) with the lab\'s files; a stale keytab exits 1', async () => {
    const files = ['--krb5-conf', lab.lab.krb5Conf, '--ccache', lab.lab.ccache.path];
    const ok = await kbench('spn', 'check', 'mqtt/localhost@BENCH.TEST', ...files, '--keytab', lab.lab.keytabs.service, '--product', 'emqx');
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const rotation = await lab.engine.api.lab.rotateKey({ name: 'mqtt/localhost' });
    const stale = await kbench('spn', 'check', 'mqtt/localhost@BENCH.TEST', ...files, '--keytab', rotation.staleKeytab!);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toMatch(new RegExp(`✗ .* holds kvno ${rotation.oldKvno} — not the current key`));
    expect(stale.stdout).toMatch(/fix: .* kadmin\.local -q "ktadd -norandkey -k /);
    expect((await kbench('spn', 'check', 'x/y', '--profile', 'nis')).code).toBe(2);
  });

  it('validate: EMQX\'s words, exit 1; a good SPN exits 0', async () => {
    const bad = await kbench('spn', 'validate', 'mqtt/broker:1883@EXAMPLE.COM', '--product', 'emqx');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^✗ mqtt\/broker:1883@EXAMPLE\.COM: not valid \(service mqtt, host broker:1883, realm EXAMPLE\.COM\)$/m);
    expect(bad.stdout).toMatch(/invalid_server_principal_string: ":1883" is a port/);
    const good = await kbench('spn', 'validate', 'HTTP/es1.example.com@EXAMPLE.COM', '--product', 'elasticsearch', '--json');
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ valid: true, parts: { service: 'HTTP', host: 'es1.example.com', realm: 'EXAMPLE.COM' } });
  });

  it('names: one aligned line per product and setting; --json the mapping', async () => {
    const run = await kbench('spn', 'names', 'alice@BENCH.TEST');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ {2}Elasticsearch +remove_realm_name +false \(default\) +→ alice@BENCH\.TEST$/m);
    expect(run.stdout).toMatch(/^ {2}Hazelcast +use-name-without-realm +true +→ alice$/m);
    const arrows = run.stdout.split('\n').filter((l) => l.includes('→')).map((l) => l.indexOf('→'));
    expect(new Set(arrows).size).toBe(1);
    const json = JSON.parse((await kbench('spn', 'names', 'alice@BENCH.TEST', '--json')).stdout) as NameMapping;
    expect(json.names.find((n) => n.product === 'EMQX (kbench broker)' && n.value === 'none sent')?.username).toBe('alice');
  });
});
