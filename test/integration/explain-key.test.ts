/**
 * Key-match explanations for the keytab failures users hit, each produced for real with the MIT
 * lab: the right keytab, a stale keytab after a key rotation, a ticket from before the rotation,
 * a missing enctype, same kvno with another key, and a keytab for another principal.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyMatchReport } from '../../main/api/inspect';
import { runKbench } from '../helpers/cli';
import { clientToken } from '../helpers/gss-peer';
import { ALICE_PASSWORD, createTestRealm, type TestRealm } from '../helpers/lab';

async function explain(token: string, keytab: string): Promise<{ code: number; report: KeyMatchReport; text: string }> {
  const json = await runKbench(['explain-key', '--base64', token, '--keytab', keytab, '--json']);
  const text = await runKbench(['explain-key', '--base64', token, '--keytab', keytab]);
  return { code: json.code, report: JSON.parse(json.stdout) as KeyMatchReport, text: text.stdout };
}

describe('kbench explain-key', () => {
  let lab: TestRealm;
  let kvno2Token: string;
  let kvno2Keytab: string;
  let kvno3Keytab: string;
  let kvno3Token: string;

  beforeAll(async () => {
    lab = await createTestRealm();
    kvno2Keytab = lab.serviceKeytab; // kvno 2: addprinc (1) + ktadd (2)
    kvno2Token = await clientToken(lab.env); // alice's ticket for mqtt/localhost, kvno 2
    kvno3Keytab = path.join(lab.dir, 'rotated.keytab');
    await lab.realm.ktadd(kvno3Keytab, 'mqtt/localhost'); // re-randomises: kvno 3
    const freshCcache = await lab.realm.kinit('alice', { password: ALICE_PASSWORD }, { ccache: path.join(lab.dir, 'fresh.ccache') });
    kvno3Token = await clientToken({ ...lab.env, KRB5CCNAME: `FILE:${freshCcache}` });
  });
  afterAll(() => lab?.destroy());

  it('confirms the right keytab (exit 0)', async () => {
    const { code, report, text } = await explain(kvno2Token, kvno2Keytab);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.ticket).toMatchObject({ server: `mqtt/localhost@${lab.name}`, enctype: 'aes256-cts-hmac-sha1-96', kvno: 2 });
    const aes256 = report.verdicts.find((v) => v.enctypeId === 18)!;
    expect(aes256).toMatchObject({ principalMatches: true, kvnoMatches: true, enctypeMatches: true, decrypts: true });
    expect(report.verdicts.find((v) => v.enctypeId === 17)).toMatchObject({ enctypeMatches: false, decrypts: null });
    expect(text).toContain('decrypts the ticket: this keytab is right for it');
  });

  it('says the keytab is out of date after a key rotation (exit 1)', async () => {
    const { code, report } = await explain(kvno3Token, kvno2Keytab);
    expect(code).toBe(1);
    expect(report.conclusion).toBe('The ticket is kvno 3, the keytab has only kvno 2: the keytab is out of date (the key was changed after it was exported) — export a fresh keytab.');
  });

  it('says the ticket is out of date when it predates the rotation', async () => {
    const { report } = await explain(kvno2Token, kvno3Keytab);
    expect(report.conclusion).toMatch(/^The ticket is kvno 2, the keytab has only kvno 3: the ticket is out of date/);
  });

  it('names the missing enctype', async () => {
    const only128 = path.join(lab.dir, 'aes128-only.keytab');
    // Same kvno as the ticket, but only the aes128 key: remove the aes256 entry from a copy.
    await runKbench(['keytab', 'merge', only128, kvno3Keytab]);
    await runKbench(['keytab', 'remove', only128, '--principal', `mqtt/localhost@${lab.name}`, '--enctype', 'aes256-cts-hmac-sha1-96']);
    const { report } = await explain(kvno3Token, only128);
    const only = /^The keytab has mqtt\/localhost@BENCH\.TEST kvno 3 but not with aes256-cts-hmac-sha1-96 \(only ([^)]+)\): add the aes256-cts-hmac-sha1-96 key/.exec(report.conclusion);
    expect(only, report.conclusion).not.toBeNull();
    expect(only![1]!.split(', ')).toContain('aes128-cts-hmac-sha1-96');
    expect(only![1]!.split(', ')).not.toContain('aes256-cts-hmac-sha1-96');
  });

  it('detects same kvno, different key', async () => {
    const impostor = path.join(lab.dir, 'impostor.keytab');
    await runKbench(['keytab', 'add', impostor, '--principal', `mqtt/localhost@${lab.name}`, '--random', '--kvno', '3', '--enctypes', 'aes256-cts-hmac-sha1-96']);
    const { report } = await explain(kvno3Token, impostor);
    expect(report.verdicts[0]).toMatchObject({ principalMatches: true, kvnoMatches: true, enctypeMatches: true, decrypts: false });
    expect(report.conclusion).toMatch(/same kvno, different key/);
  });

  it('sees a keytab for another principal', async () => {
    const { report } = await explain(kvno3Token, lab.aliceKeytab);
    expect(report.conclusion).toMatch(/^The keytab has no entry for mqtt\/localhost@BENCH\.TEST \(it has: alice@BENCH\.TEST\)/);
  });
});
