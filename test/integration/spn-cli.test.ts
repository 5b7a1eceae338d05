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
import type { NegotiateProbeView, SpnPredictionReport } from '../../main/api/http';
import { kdcsUnder, stopPid } from '../../main/lab/kdc-process';
import { skipUnlessApache, startApacheSpnego, type ApacheSpnego } from '../helpers/apache-spnego';
import { kbenchProcess } from '../helpers/cli';
import { createTestRealm, type TestRealm } from '../helpers/lab';

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
