/**
 * The Java JAAS export from the lab realm, proven by the Java engine: the client entry logs in
 * with alice's ticket cache and with the client keytab alone, the service entry with the service
 * keytab, and a context is established for mqtt/localhost@BENCH.TEST. A broken export fails
 * with Java's own text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { javaTarget } from '../../main/export/targets/java-jaas';
import { openExportHarness, type ExportHarness } from '../helpers/export-harness';

let h: ExportHarness;

beforeAll(async () => {
  h = await openExportHarness('export-java');
});

afterAll(async () => {
  await h?.close();
});

describe('Java JAAS export', () => {
  it('both client logins and the service entry, proven by Java', async () => {
    const proofs = await h.prove(javaTarget, await h.model());
    expect(proofs.map((p) => `${p.ok ? 'ok' : 'FAIL'} ${p.name}`)).toEqual([
      "ok client entry (com.sun.security.jgss.krb5.initiate) logs in with the user's ticket cache",
      "ok ticket for mqtt/localhost@BENCH.TEST (the user's ticket cache)",
      "ok service entry (com.sun.security.jgss.krb5.accept) accepts it (the user's ticket cache)",
      'ok client entry (com.sun.security.jgss.krb5.initiate) logs in with the client keytab (no ticket cache)',
      'ok ticket for mqtt/localhost@BENCH.TEST (the client keytab (no ticket cache))',
      'ok service entry (com.sun.security.jgss.krb5.accept) accepts it (the client keytab (no ticket cache))',
    ]);
    expect(proofs[2]!.detail).toContain('accepted alice@BENCH.TEST for mqtt/localhost@BENCH.TEST');
    expect(proofs[5]!.detail).toContain('accepted alice@BENCH.TEST for mqtt/localhost@BENCH.TEST');
  });

  it('files: jaas.conf entries, java.options, keytab withheld unless revealed', async () => {
    const { files } = javaTarget.generate(await h.model(), false);
    const jaas = files.find((f) => f.path === 'java/jaas.conf')!.text;
    expect(jaas).toMatch(/com\.sun\.security\.jgss\.krb5\.accept \{\n {2}com\.sun\.security\.auth\.module\.Krb5LoginModule required\n {4}useKeyTab=true\n {4}keyTab="\/etc\/java-kerberos\/service\.keytab"\n {4}storeKey=true\n {4}isInitiator=false\n {4}principal="mqtt\/localhost@BENCH\.TEST"\n {4}doNotPrompt=true;\n\};/);
    expect(files.find((f) => f.path === 'java/java.options')!.text.split('\n')).toEqual([
      '-Djava.security.krb5.conf=/etc/java-kerberos/krb5.conf',
      '-Djava.security.auth.login.config=/etc/java-kerberos/jaas.conf',
      '-Djavax.security.auth.useSubjectCredsOnly=false',
      '',
    ]);
    const keytab = files.find((f) => f.path === 'java/service.keytab')!;
    expect(keytab).toMatchObject({ mode: 0o600, language: 'binary', redacted: true });
    expect(keytab.binary).toBeUndefined();
    expect(keytab.withheld).toContain('--reveal-secrets');
    expect(javaTarget.generate(await h.model(), true).files.find((f) => f.path === 'java/service.keytab')!.binary).toMatch(/^BQI/);
  });

  it('a service principal the keytab does not hold: acceptance fails with Java\'s text', async () => {
    const model = await h.model();
    const broken = { ...model, mqtt: { ...model.mqtt, keytab: model.http.keytab } };
    const proofs = await h.prove(javaTarget, broken);
    const accept = proofs.find((p) => p.name.startsWith('service entry'))!;
    expect(accept.ok).toBe(false);
    expect(accept.detail).toMatch(/^GSSException: Failure unspecified at GSS-API level \(Mechanism level: Invalid argument \(400\) - Cannot find key of appropriate type to decrypt AP-REQ/);
  });
});
