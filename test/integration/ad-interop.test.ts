/**
 * Everything else on an AD realm: the services that take a lab profile run against the shared
 * Samba AD DC (realm AD.TEST) with AD-issued tickets — SASL GSSAPI (both roles over a GSS worker),
 * the MQTT broker and probe (GSSAPI-KERBEROS), the SPNEGO endpoint (curl --negotiate and the
 * bench's negotiate client), "check my setup" against the AD lab's files, and the krb5.conf export
 * proven with kinit/klist/kvno against the DC. One engine on the AD lab's data directory.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeView } from '../../main/api/broker';
import type { LabStatus } from '../../main/api/lab';
import { createEngine, type Engine } from '../../main/engine';
import { AD_HOOK_TIMEOUT_MS, AD_SKIP_REASON, openAdLab, type AdLabHandle } from '../helpers/ad-lab';
import { curl } from '../helpers/http-client';

describe.skipIf(AD_SKIP_REASON)('the bench on an AD realm (Samba AD DC)', () => {
  let ad: AdLabHandle;
  let status: LabStatus;
  let engine: Engine;
  let dir: string;
  let realm: string;

  beforeAll(async () => {
    ad = await openAdLab();
    status = ad.status;
    realm = status.realm;
    engine = createEngine({ runtime: 'cli', dataDir: ad.dataDir });
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-ad-interop-'));
  }, AD_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await engine?.api.broker.stop().catch(() => undefined);
    await engine?.api.http.stop().catch(() => undefined);
    await engine?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
    await ad?.close();
  }, 60_000);

  /** alice's environment with a private copy of her ccache (clients add service tickets to it). */
  async function aliceEnv(name: string): Promise<NodeJS.ProcessEnv> {
    const ccache = path.join(dir, `${name}.ccache`);
    await copyFile(status.ccache.path, ccache);
    const env: NodeJS.ProcessEnv = { ...process.env, KRB5_CONFIG: status.krb5Conf, KRB5CCNAME: `FILE:${ccache}` };
    delete env.KRB5_TRACE;
    return env;
  }

  it('SASL GSSAPI: client and server over a GSS worker with the AD profile, privacy layer, alice@AD.TEST, the PAC opened', async () => {
    let view = await engine.api.sasl.start({ service: 'mqtt@localhost', profile: 'lab', realm, offer: 'cyrus', layer: 'privacy', authzid: 'alice' });
    view = await engine.api.sasl.finish(view.id);
    expect(view.state, view.client.verdict.reason ?? view.server.verdict.reason).toBe('established');
    expect(view.server.identity).toMatchObject({ principal: `alice@${realm}`, authzid: 'alice' });
    expect(view.server.securityLayer).toMatchObject({ layer: 'privacy' });
    // The server decoded the AD ticket with the service keytab: its PAC's server signature verified.
    const apReq = JSON.stringify(view.server.steps[0]!.decoded);
    expect(apReq).toContain('UPN_DNS_INFO');
    expect(apReq).toContain(`verified with keytab ${status.keytabs.service}: mqtt/localhost@${realm}`);
    view = await engine.api.sasl.send(view.id, 'client', 'hello from an AD user');
    view = await engine.api.sasl.send(view.id, 'server', 'hello back');
    expect(view.server.steps.filter((s) => s.transport.packet === 'application message').map((s) => s.summary)).toEqual(['"hello from an AD user"', '"hello back"']);
    await engine.api.sasl.close(view.id);
  }, 60_000);

  it("SASL refuses an SPN the domain does not have with the DC's answer", async () => {
    const view = await engine.api.sasl.finish((await engine.api.sasl.start({ service: 'nosuch@localhost', profile: 'lab', realm, offer: 'emqx', layer: 'none' })).id);
    expect(view.state).toBe('failed');
    // Against an MIT KDC, MIT names the principal ("Server nosuch/localhost@BENCH.TEST not found …"); against Samba's it does not.
    expect(view.client.verdict.reason).toMatch(/Server not found in Kerberos database/);
  }, 60_000);

  it('the MQTT broker takes mqtt/localhost@AD.TEST, and the probe signs alice in with GSSAPI-KERBEROS, then re-authenticates', async () => {
    const broker = await engine.api.broker.start({ tcp: true, tls: false, ws: false, credentials: 'lab', realm, variant: 'emqx', allowAnonymous: false });
    expect(broker).toMatchObject({ running: true, method: 'GSSAPI-KERBEROS', principal: `mqtt/localhost@${realm}`, keytab: status.keytabs.service });
    const start = await engine.api.probe.start({ url: broker.listeners[0]!.url, profile: 'lab', realm, method: 'GSSAPI-KERBEROS', step: false, service: 'mqtt@localhost' });
    const settle = async (done: (v: ProbeView) => boolean): Promise<ProbeView> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const view = await engine.api.probe.view(start.id);
        if (done(view) || Date.now() > deadline) return view;
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    let view = await settle((v) => v.state === 'connected' || v.state === 'failed');
    expect(view.state, view.exchanges[0]?.verdict.reason ?? view.error).toBe('connected');
    expect(view.exchanges[0]!.verdict).toMatchObject({ outcome: 'success', code: '0x00 Success' });
    const server = (await engine.api.broker.exchanges()).at(-1)!;
    expect(server.identity).toMatchObject({ principal: `alice@${realm}` });
    expect(JSON.stringify(server.steps[0]!.decoded)).toContain('KERB_VALIDATION_INFO');

    await engine.api.probe.reauthenticate(start.id);
    view = await settle((v) => v.exchanges.length === 2 && v.exchanges[1]!.verdict.outcome !== 'pending');
    expect(view.exchanges.at(-1)!.verdict.outcome).toBe('success');
    view = await engine.api.probe.publish(start.id);
    expect(view.published?.received).toBe('hello from the Kerberos Bench probe');
    await engine.api.probe.close(start.id);
    await engine.api.broker.stop();
  }, 60_000);

  it('the SPNEGO endpoint signs in alice@AD.TEST: curl --negotiate and the bench\'s negotiate client', async () => {
    const endpoint = await engine.api.http.serve({ mode: 'elasticsearch', credentials: 'lab', realm, port: 0 });
    expect(endpoint).toMatchObject({ running: true, spn: `HTTP/localhost@${realm}` });
    const result = await curl(['--negotiate', '-u', ':', `${endpoint.url}/_security/_authenticate`], await aliceEnv('curl'));
    expect(result.status, result.body).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ username: `alice@${realm}`, metadata: { kerberos_realm: realm, kerberos_user_principal_name: `alice@${realm}` } });

    let view = await engine.api.negotiate.start({ url: `${endpoint.url}/_security/_authenticate`, profile: 'lab', realm, step: false });
    const deadline = Date.now() + 20_000;
    while (view.state !== 'done' && view.state !== 'failed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      view = await engine.api.negotiate.view(view.id);
    }
    expect(view.state, view.error ?? view.exchange.verdict.reason).toBe('done');
    expect(view.exchange.verdict.outcome).toBe('success');
    expect(view.hops.at(-1)!.status).toBe(200);
    expect(JSON.parse(view.hops.at(-1)!.body ?? '{}')).toMatchObject({ username: `alice@${realm}` });
    await engine.api.negotiate.close(view.id);
    await engine.api.http.stop();
  }, 60_000);

  it("check my setup passes every check against the AD lab's krb5.conf, ccache and service keytab", async () => {
    const env = await aliceEnv('diagnose');
    const diagnosis = await engine.api.diagnose.diagnose({
      setup: { profile: 'custom', krb5Config: status.krb5Conf, ccache: env.KRB5CCNAME!, keytab: status.keytabs.service, principal: `mqtt/localhost@${realm}` },
    });
    expect(diagnosis.findings.map((f) => `${f.id}: ${f.cause}`)).toEqual([]);
    const failed = (diagnosis.checks ?? []).filter((c) => !c.ok).map((c) => `${c.id}: ${c.detail}`);
    expect(failed).toEqual([]);
    const ids = (diagnosis.checks ?? []).map((c) => c.id.split(':')[0]);
    expect(ids).toEqual(expect.arrayContaining(['default-realm', 'kdc-udp', 'kdc-tcp', 'clock-skew', 'keytab-principal', 'keytab-kvno', 'keytab-decrypts-ticket', 'ccache']));
    expect(diagnosis.checks!.find((c) => c.id === 'keytab-kvno')!.detail).toMatch(/KDC kvno 3; keytab .* has kvno 3/);
  }, 60_000);

  it('check my setup of the lab profile names the AD realm (setup.realm): the same checks, all ok', async () => {
    const diagnosis = await engine.api.diagnose.diagnose({ setup: { profile: 'lab', realm, principal: `mqtt/localhost@${realm}`, keytab: status.keytabs.service } });
    expect(diagnosis.findings.map((f) => `${f.id}: ${f.cause}`)).toEqual([]);
    expect((diagnosis.checks ?? []).filter((c) => !c.ok).map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
    expect(diagnosis.checks!.find((c) => c.id === 'default-realm')!.detail).toContain(`default_realm = ${realm}`);
    await expect(engine.api.diagnose.diagnose({ setup: { profile: 'system', realm } })).rejects.toThrow(/it goes with profile lab/);
  }, 60_000);

  it("exports a krb5.conf for the AD realm, proven against the DC with kinit, klist and kvno", async () => {
    const result = await engine.api.export.generate({ from: { kind: 'lab', realm }, target: 'krb5' });
    const conf = result.files.find((f) => f.path === 'krb5.conf')!.text;
    expect(conf).toContain(`default_realm = ${realm}`);
    expect(conf).toContain(`kdc = ${status.kdc}`);
    expect(result.proofs.map((p) => [p.name, p.ok, p.ok ? '' : p.detail])).toEqual([
      ['read back by the bench profile parser', true, ''],
      ['kinit with the client keytab', true, ''],
      ['kvno for the service', true, ''],
    ]);
    expect(result.proven).toBe(true);
  }, 60_000);
});
