/**
 * The AD scenarios against the shared Samba AD DC (test/helpers/ad-lab.ts): each makes accounts of
 * its own, breaks them the way AD deployments break, runs the real flow (MIT's kinit, our SASL
 * peers on GSS workers), diagnoses the real error — the expected entry must come first — deletes
 * its accounts and leaves the DC working. The error texts come from the runs, never from this file.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../../main/api/diagnose';
import { AD_SCENARIO_ACCOUNTS, AD_SCENARIOS } from '../../main/diagnose/ad-scenarios';
import { catalogEntry } from '../../main/diagnose/catalog';
import { DiagnoseServiceImpl } from '../../main/diagnose/service';
import { BenchEventBus } from '../../main/engine/events';
import { GssSupervisor } from '../../main/gss/supervisor';
import { AD_HOOK_TIMEOUT_MS, AD_SKIP_REASON, openAdLab, uniqueAccount, type AdLabHandle } from '../helpers/ad-lab';

/** The scratch folders scenarios leave under the data directory (none, once each has finished). */
async function scratchLeft(dataDir: string): Promise<string[]> {
  return readdir(path.join(dataDir, 'scenarios')).catch(() => [] as string[]);
}

describe.skipIf(AD_SKIP_REASON)('AD scenarios against the AD lab realm', () => {
  let ad: AdLabHandle;
  let gss: GssSupervisor;
  let service: DiagnoseServiceImpl;
  let scratch: string;
  const results = new Map<string, ScenarioResult>();

  beforeAll(async () => {
    ad = await openAdLab();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'kbench-ad-scenarios-'));
    gss = new GssSupervisor();
    const context = { runtime: 'cli' as const, dataDir: ad.dataDir, electronVersion: null, events: new BenchEventBus() };
    service = new DiagnoseServiceImpl(context, () => gss, ad.lab);
  }, AD_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await gss?.dispose();
    // Whatever a failed run left: the scenarios' own accounts go, the clock goes back.
    if (ad) {
      const accounts = (await ad.lab.status({ kind: 'ad' })).ad?.accounts ?? [];
      for (const name of AD_SCENARIO_ACCOUNTS) if (accounts.some((a) => a.name === name)) await ad.lab.removeAccount({ kind: 'ad', name }).catch(() => undefined);
      await ad.lab.setClockOffset({ kind: 'ad', seconds: 0 }).catch(() => undefined);
      await ad.close();
    }
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }, 120_000);

  it('lists the eight AD scenarios, each expecting a catalog entry; the new entries name them back', async () => {
    const listed = (await service.scenarios()).filter((s) => s.id.startsWith('ad-'));
    expect(listed.map((s) => s.id)).toEqual(AD_SCENARIOS.map((s) => s.id));
    expect(listed).toHaveLength(8);
    for (const s of listed) expect(catalogEntry(s.expects), `${s.id} expects ${s.expects}`).toBeDefined();
    expect(catalogEntry('duplicate-spn')?.reproduce.scenario).toBe('ad-duplicate-spn');
  });

  // One after another on the shared DC: each must leave it working for the next.
  it.each([
    ['ad-rc4-ticket-aes-keytab', 'keytab-missing-enctype'],
    ['ad-rc4-only-aes-client', 'etype-no-support'],
    ['ad-password-change-stale-keytab', 'keytab-kvno-out-of-date'],
    ['ad-wrong-salt', 'keytab-wrong-key'],
    ['ad-disabled-account', 'client-revoked'],
    ['ad-must-change-password', 'password-expired'],
    ['ad-duplicate-spn', 'duplicate-spn'],
    ['ad-clock-skew', 'clock-skew'],
  ])('%s: the real error is diagnosed as %s, and the AD lab works afterwards', async (id, expected) => {
    const before = (await ad.lab.status({ kind: 'ad' })).ad!.accounts.map((a) => `${a.name}:${a.kvno}:${a.enctypes}:${a.enabled}`);
    const result = await service.runScenario({ id });
    results.set(id, result);
    const context = JSON.stringify({ error: result.error, problem: result.problem, findings: result.findings.map((f) => [f.id, f.confidence]) });
    expect(result.error, `the broken flow must fail with a real error: ${context}`).not.toBe('');
    expect(result, context).toMatchObject({ passed: true, topFinding: expected });
    // Put back: the same accounts as before (alice, svc-*: same kvno, enctypes, state), the clock at 0, no scratch left.
    const after = await ad.lab.status({ kind: 'ad' });
    expect(after.ad!.accounts.map((a) => `${a.name}:${a.kvno}:${a.enctypes}:${a.enabled}`)).toEqual(before);
    expect(after.clockOffsetSeconds).toBe(0);
    expect(await scratchLeft(ad.dataDir)).toEqual([]);
  }, 120_000);

  it('says what MIT said for each AD failure', () => {
    const texts: Record<string, RegExp> = {
      'ad-rc4-ticket-aes-keytab': /kbench-ad-rc4tkt\/localhost@AD\.TEST kvno \d+ found in keytab but not with enctype rc4-hmac/,
      'ad-rc4-only-aes-client': /KDC has no support for encryption type/,
      'ad-password-change-stale-keytab': /kbench-ad-pwchange\/localhost@AD\.TEST kvno \d+ not found in keytab; keytab is likely out of date/,
      'ad-wrong-salt': /kbench-ad-salt\/localhost@AD\.TEST kvno \d+ enctype aes\S* found in keytab but cannot decrypt ticket/,
      'ad-disabled-account': /Client's credentials have been revoked/,
      'ad-must-change-password': /Password expired\.\s+You must change it now\./,
      'ad-duplicate-spn': /Server not found in Kerberos database while getting credentials for kbench-ad-dup\/localhost@AD\.TEST/,
      'ad-clock-skew': /Clock skew too great/,
    };
    for (const [id, text] of Object.entries(texts)) {
      const result = results.get(id);
      if (!result) continue; // its own test failed already
      expect(result.error, id).toMatch(text);
    }
  });

  it('names both holders of the duplicate SPN, found over LDAP, with the fix', () => {
    const result = results.get('ad-duplicate-spn');
    expect(result, 'ad-duplicate-spn ran').toBeDefined();
    const finding = result!.findings[0]!;
    expect(finding.id).toBe('duplicate-spn');
    expect(finding.cause).toContain('kbench-ad-dup1');
    expect(finding.cause).toContain('kbench-ad-dup2');
    expect(finding.scenario).toBe('ad-duplicate-spn');
    const directory = finding.evidence.find((e) => /servicePrincipalName=kbench-ad-dup\/localhost/.test(e.source));
    expect(directory?.source).toMatch(/^LDAP ldap:\/\/127\.0\.0\.1:389/);
    expect(directory?.text).toMatch(/kbench-ad-dup1 \(CN=kbench-ad-dup1,[^)]*\) and kbench-ad-dup2 \(CN=kbench-ad-dup2,/);
    expect(finding.commands?.join('\n')).toMatch(/setspn -D kbench-ad-dup\/localhost/);
    expect(finding.commands?.join('\n')).toMatch(/samba-tool spn delete kbench-ad-dup\/localhost/);
    // The text match is still there, below the directory's answer.
    expect(result!.findings.map((f) => f.id)).toContain('server-unknown');
  });

  it('says which salt the wrong-salt keytab needed', () => {
    const finding = results.get('ad-wrong-salt')?.findings[0];
    expect(finding?.id).toBe('keytab-wrong-key');
    expect(finding!.cause).toContain('"AD.TESTkbench-ad-salt"');
    expect(finding!.cause).toContain('"AD.TESTkbench-ad-saltlocalhost"');
    expect(finding!.fix).toContain('AD.TESTkbench-ad-salt');
    expect(finding!.commands?.join('\n')).toMatch(/-s AD\.TESTkbench-ad-salt\b/);
  });

  it('diagnose() of the pasted error finds the duplicate SPN while it exists', async () => {
    const [first, second] = [uniqueAccount('dupa'), uniqueAccount('dupb')];
    const spn = `${first}/localhost`;
    try {
      await ad.lab.addAccount({ kind: 'ad', name: first, type: 'user', spns: [spn] });
      await ad.lab.addAccount({ kind: 'ad', name: second, type: 'user' });
      await ad.lab.addSpn({ kind: 'ad', spn, account: second, force: true });
      const diagnosis = await service.diagnose({ message: `kvno: Server ${spn}@AD.TEST not found in Kerberos database while getting credentials for ${spn}@AD.TEST` });
      expect(diagnosis.findings[0]?.id).toBe('duplicate-spn');
      expect(diagnosis.findings[0]!.cause).toContain(`${first} (CN=${first},`);
      expect(diagnosis.findings[0]!.cause).toContain(`${second} (CN=${second},`);
    } finally {
      for (const name of [first, second]) await ad.lab.removeAccount({ kind: 'ad', name }).catch(() => undefined);
    }
  }, 60_000);
});
