/**
 * The `spn` service against the real lab: MIT's kvno asks the lab KDC, the lab's keytabs are read,
 * a key rotation (kadmin ktadd) leaves a stale keytab behind, and DNS lookups go to this machine's
 * resolver (/etc/hosts: localhost → 127.0.0.1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupDns } from '../../main/spn/dns';
import { openLabEngine, type LabEngine } from '../helpers/lab-engine';

describe('spn service (lab realm)', () => {
  let lab: LabEngine;
  const spn = () => lab.engine.api.spn;

  beforeAll(async () => {
    lab = await openLabEngine('spn-tools');
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('a known SPN and the lab keytab: the KDC knows it, the keytab holds its current kvno', async () => {
    const result = await spn().check({ spn: 'HTTP/localhost' });
    expect(result).toMatchObject({ kdcKnows: true, keytabHoldsCurrentKey: true, keytab: lab.lab.keytabs.service, valid: true });
    expect(result.keytabKvnos).toContain(result.kdcKvno);
    expect(result.detail.join('\n')).toMatch(/kvno HTTP\/localhost@BENCH\.TEST/);
    expect(result.fix).toBeUndefined();
  });

  it('hz/127.0.0.1 for Hazelcast: an address is Hazelcast\'s own form, and the lab has it', async () => {
    const result = await spn().check({ spn: 'hz/127.0.0.1@BENCH.TEST', product: 'hazelcast' });
    expect(result).toMatchObject({ kdcKnows: true, keytabHoldsCurrentKey: true, valid: true, problems: [] });
  });

  it('a custom profile: the lab\'s krb5.conf, alice\'s ccache and the service keytab', async () => {
    const result = await spn().check({ spn: 'mqtt/localhost@BENCH.TEST', product: 'emqx', profile: 'custom', krb5Config: lab.lab.krb5Conf, ccache: lab.lab.ccache.path, keytab: lab.lab.keytabs.service });
    expect(result).toMatchObject({ kdcKnows: true, keytabHoldsCurrentKey: true, valid: true });
  });

  it('an unknown SPN: kdcKnows false with MIT\'s text, and the fix adds it', async () => {
    const result = await spn().check({ spn: 'HTTP/nowhere.example@BENCH.TEST' });
    expect(result.kdcKnows).toBe(false);
    expect(result.kdcKvno).toBeNull();
    expect(result.keytabHoldsCurrentKey).toBeNull();
    expect(result.detail.join('\n')).toMatch(/Server HTTP\/nowhere\.example@BENCH\.TEST not found in Kerberos database/);
    expect(result.fix).toMatch(/^the KDC does not know HTTP\/nowhere\.example@BENCH\.TEST: kbench lab principal add HTTP\/nowhere\.example@BENCH\.TEST --random/);
  });

  it('after a key rotation the old keytab lacks the current key; the lab keytab has it', async () => {
    const rotation = await lab.engine.api.lab.rotateKey({ name: 'HTTP/localhost' });
    expect(rotation.staleKeytab).toBeTruthy();
    const stale = await spn().check({ spn: 'HTTP/localhost@BENCH.TEST', keytab: rotation.staleKeytab! });
    expect(stale).toMatchObject({ kdcKnows: true, kdcKvno: rotation.newKvno, keytabHoldsCurrentKey: false, keytab: rotation.staleKeytab });
    expect(stale.keytabKvnos).toContain(rotation.oldKvno);
    expect(stale.detail.join('\n')).toMatch(new RegExp(`keytab has kvno ${rotation.oldKvno}, KDC issues kvno ${rotation.newKvno}: the keytab is out of date`));
    expect(stale.fix).toMatch(/lacks the current key \(kvno \d+\) of HTTP\/localhost@BENCH\.TEST: use the lab's service keytab .* kbench lab export-keytab/);
    const fresh = await spn().check({ spn: 'HTTP/localhost@BENCH.TEST' });
    expect(fresh).toMatchObject({ kdcKvno: rotation.newKvno, keytabHoldsCurrentKey: true });
  });

  it('build with DNS: localhost resolves forward and reverse; Hazelcast\'s canonical name is the reverse name', async () => {
    const result = await spn().build({ product: 'hazelcast', realm: 'BENCH.TEST', host: '127.0.0.1', hazelcast: { useCanonicalHostname: true } });
    expect(result.spns[0]!.spn).toBe('hz/localhost@BENCH.TEST');
    expect(result.dns).toEqual([expect.objectContaining({ host: '127.0.0.1', addresses: ['127.0.0.1'] })]);
    expect(result.dns[0]!.reverse[0]!.names).toContain('localhost');
  });

  it('DNS failures come back as text, never thrown', async () => {
    const missing = await lookupDns('no-such-host.invalid', { timeoutMs: 2_000 });
    expect(missing).toMatchObject({ host: 'no-such-host.invalid', addresses: [], reverse: [] });
    expect(missing.error).toMatch(/ENOTFOUND|no answer within/);
    const local = await lookupDns('localhost:8080');
    expect(local.addresses).toContain('127.0.0.1');
  });

  it('through dispatch: the schema refuses a build without a realm; validate and mapName answer', async () => {
    const refused = await lab.engine.invoke({ service: 'spn', method: 'build', args: [{ product: 'emqx', host: 'broker' }] });
    expect(refused.ok).toBe(false);
    const validated = await lab.engine.invoke({ service: 'spn', method: 'validate', args: [{ spn: 'mqtt/broker@bench.test', product: 'emqx' }] });
    expect(validated).toMatchObject({ ok: true, value: { valid: false } });
    const names = await lab.engine.invoke({ service: 'spn', method: 'mapName', args: [{ principal: 'alice@BENCH.TEST' }] });
    expect(names).toMatchObject({ ok: true, value: { principal: 'alice@BENCH.TEST' } });
  });
});
