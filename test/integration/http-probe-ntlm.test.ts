/**
 * NTLM inside Negotiate, for real: gss-ntlmssp loaded into MIT's GSS-API (GSS_MECH_CONFIG, never
 * /etc/gss/mech.d) on both sides — Apache's mod_auth_gssapi accepting NTLMSSP through SPNEGO
 * (users from an NTLM_USER_FILE), and the probe's GSS worker holding alice's NTLM password — and
 * the probe saying that the client fell back to NTLM, and why: no Kerberos credentials; an IP
 * address whose SPN the KDC does not know. MIT's SPNEGO drops krb5 and sends NTLMSSP NEGOTIATE,
 * Apache answers with the CHALLENGE, the probe with AUTHENTICATE: three real NTLM messages.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NegotiateProbeView } from '../../main/api/http';
import { BenchEventBus } from '../../main/engine/events';
import { createEngine, type Engine } from '../../main/engine';
import { GssSupervisor } from '../../main/gss/supervisor';
import { NegotiateServiceImpl } from '../../main/http/negotiate-service';
import { skipUnlessApache, startApacheSpnego, type ApacheSpnego } from '../helpers/apache-spnego';
import { createTestRealm, type TestRealm } from '../helpers/lab';
import { createNtlmFiles, skipUnlessNtlm, type NtlmFiles } from '../helpers/ntlm';

const REALM = 'NTLM.TEST';
const DOMAIN = 'BENCH';
const NTLM_PASSWORD = 'ntlm-Pa55word';

describe.skipIf(skipUnlessApache || skipUnlessNtlm)('NTLM inside Negotiate (gss-ntlmssp)', () => {
  let lab: TestRealm;
  let ntlm: NtlmFiles;
  let apache: ApacheSpnego;
  let engine: Engine;
  let dataDir: string;
  let gss: GssSupervisor;
  let negotiate: NegotiateServiceImpl;

  async function probe(url: string, ccache: string): Promise<NegotiateProbeView> {
    const { id } = await negotiate.start({ url, profile: 'custom', krb5Config: lab.env.KRB5_CONFIG!, ccache, step: false });
    const started = Date.now();
    for (;;) {
      const view = await negotiate.view(id);
      if (view.state !== 'running') return view;
      if (Date.now() - started > 20_000) throw new Error(`probe stuck in ${view.state}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The NTLMSSP message types in the Exchange's decoded tokens, in order. */
  const ntlmMessages = (view: NegotiateProbeView) => view.exchange.steps.flatMap((s) => [...JSON.stringify(s.decoded ?? {}).matchAll(/"NTLMSSP (NEGOTIATE_MESSAGE|CHALLENGE_MESSAGE|AUTHENTICATE_MESSAGE) \(type \d\)"/g)].map((m) => m[1]));

  beforeAll(async () => {
    lab = await createTestRealm(REALM);
    ntlm = await createNtlmFiles(DOMAIN, [{ user: 'alice', password: NTLM_PASSWORD }]);
    // NTLM is a three-leg mechanism: the context lives on the connection. No GssapiCredStore: with
    // `keytab:` gss-ntlmssp acquires no acceptor credential ("Not a server credential type").
    apache = await startApacheSpnego(lab, { allowedMechs: ['ntlmssp'], connectionBound: true, credStore: false, env: ntlm.env() });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-http-ntlm-'));
    engine = createEngine({ runtime: 'cli', dataDir });
    // The probe's GSS worker gets the NTLM mechanism and alice's NTLM password through its environment.
    gss = new GssSupervisor({ baseEnv: { ...process.env, ...ntlm.env('alice') } });
    negotiate = new NegotiateServiceImpl({ runtime: 'cli', dataDir, electronVersion: null, events: new BenchEventBus() }, () => gss, engine.api.lab);
  });

  afterAll(async () => {
    await negotiate?.dispose();
    await gss?.dispose();
    await engine?.dispose();
    await apache?.stop();
    await ntlm?.destroy();
    await lab?.destroy();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('without Kerberos credentials SPNEGO falls back to NTLM; the probe shows the three messages and says why', async () => {
    const view = await probe(`${apache.url}/secure/ok.txt`, path.join(lab.dir, 'none.ccache'));
    expect(view.state, `${view.exchange.verdict.reason}\n${await apache.errorLog()}`).toBe('done');
    expect(view.exchange.steps.map((s) => [s.transport.packet, s.tokenKind ?? null])).toEqual([
      ['GET', null],
      ['401', null],
      ['Authorization', 'SPNEGO NegTokenInit (NTLMSSP)'],
      ['401', 'SPNEGO NegTokenResp (NTLMSSP)'],
      ['Authorization', 'SPNEGO NegTokenResp (NTLMSSP)'],
      ['200', 'SPNEGO NegTokenResp'],
    ]);
    expect(ntlmMessages(view)).toEqual(['NEGOTIATE_MESSAGE', 'CHALLENGE_MESSAGE', 'AUTHENTICATE_MESSAGE']);
    // mod_auth_gssapi offers both schemes when NTLMSSP is allowed.
    expect(view.hops[0]!.responseHeaders!.filter(([n]) => n === 'WWW-Authenticate').map(([, v]) => v)).toEqual(['Negotiate', 'NTLM']);
    expect(view.exchange.identity?.principal).toBe(`${DOMAIN}\\alice`);
    // NTLM proves nothing about the server, although SPNEGO's mechListMIC verified.
    expect(view.mutual).toBe('not-offered');
    expect(view.ntlm).toMatch(/token inside Negotiate is NTLMSSP/);
    expect(view.ntlm).toMatch(/no Kerberos credentials: the credential cache .*none\.ccache does not exist/);
    expect(view.ntlm).toMatch(/The server asks for NTLM/);
    expect(view.ntlm).not.toMatch(/IP address/);
  });

  it('an IP address instead of a host name: the KDC does not know HTTP/127.0.0.1, so SPNEGO used NTLM although alice has a TGT', async () => {
    const view = await probe(`http://127.0.0.1:${apache.port}/secure/ok.txt`, lab.ccache);
    expect(view.state, view.exchange.verdict.reason).toBe('done');
    expect(ntlmMessages(view)).toEqual(['NEGOTIATE_MESSAGE', 'CHALLENGE_MESSAGE', 'AUTHENTICATE_MESSAGE']);
    expect(view.spn.checks.find((c) => c.spn === 'HTTP/127.0.0.1')).toMatchObject({ kdcKnows: false });
    expect(view.ntlm).toMatch(/the URL names an IP address \(127\.0\.0\.1\)/);
    expect(view.ntlm).toMatch(/no SPN: the KDC does not know HTTP\/127\.0\.0\.1/);
    expect(view.ntlm).not.toMatch(/no Kerberos credentials/);
  });
});
