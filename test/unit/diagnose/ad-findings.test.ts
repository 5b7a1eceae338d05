/**
 * Findings made specific from an AD lab realm's directory (main/diagnose/ad/findings.ts), and when
 * the AD scenarios can run at all (main/diagnose/ad/availability.ts). The lab is a fake here that
 * answers status and findSpn as an AD lab realm does; the real DC is in
 * test/integration/ad-scenarios.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../main/api/diagnose';
import type { LabService, LabSpnHolder, LabStatus } from '../../../main/api/lab';
import { adLabProblem } from '../../../main/diagnose/ad/availability';
import { duplicateSpnFinding, withAdFindings, wrongSaltFinding } from '../../../main/diagnose/ad/findings';
import { isAdScenario } from '../../../main/diagnose/ad-scenarios';
import { askedPrincipal } from '../../../main/diagnose/server-names';
import { diagnoseObservations } from '../../../main/diagnose/diagnosis';
import { observeText } from '../../../main/diagnose/observations';

const holder = (account: string): LabSpnHolder => ({ account, dn: `CN=${account},CN=Users,DC=ad,DC=test` });

/** A lab whose AD.TEST is a running AD lab realm with these SPN holders; every other realm is absent. */
function fakeLab(holders: Record<string, LabSpnHolder[]>): LabService {
  const status = (realm: string) =>
    ({
      realm,
      kind: realm === 'AD.TEST' ? 'ad' : 'mit',
      state: realm === 'AD.TEST' ? 'running' : 'absent',
      principals: [],
      ad: realm === 'AD.TEST' ? { netbios: 'AD', baseDn: 'DC=ad,DC=test', ldap: 'ldap://127.0.0.1:389', kpasswd: '127.0.0.1:464', accounts: [] } : null,
    }) as unknown as LabStatus;
  return {
    status: async (input: { realm?: string } = {}) => status(input.realm ?? 'BENCH.TEST'),
    findSpn: async ({ spn }: { spn: string }) => holders[spn] ?? [],
  } as unknown as LabService;
}

const diagnose = (text: string) => diagnoseObservations(observeText(text, 'the captured error'));

const KVNO_120 = 'kvno: Server not found in Kerberos database while getting credentials for mqtt/broker.ad.test@AD.TEST';
const CANNOT_DECRYPT =
  'Unspecified GSS failure.  Minor code may provide more information: Request ticket server mqtt/broker.ad.test@AD.TEST kvno 2 enctype aes256-cts found in keytab but cannot decrypt ticket';

describe('an SPN on two accounts', () => {
  it('reads the principal from MIT 1.20 kvno\'s wording', () => {
    expect(askedPrincipal([KVNO_120])).toBe('mqtt/broker.ad.test@AD.TEST');
  });

  it('puts duplicate-spn first, naming every holder, above the text match', async () => {
    const findings = await withAdFindings(diagnose(KVNO_120), fakeLab({ 'mqtt/broker.ad.test': [holder('svc-mqtt'), holder('svc-old')] }));
    expect(findings.map((f) => f.id).slice(0, 2)).toEqual(['duplicate-spn', 'server-unknown']);
    const [duplicate] = findings;
    expect(duplicate!.cause).toContain('mqtt/broker.ad.test is registered on 2 accounts in AD.TEST: svc-mqtt (CN=svc-mqtt,CN=Users,DC=ad,DC=test) and svc-old (CN=svc-old,');
    expect(duplicate!.commands).toContain('setspn -D mqtt/broker.ad.test AD\\ACCOUNT');
    expect(duplicate!.commands).toContain('samba-tool spn delete mqtt/broker.ad.test ACCOUNT');
    expect(duplicate!.evidence.at(-1)).toEqual({ source: 'LDAP ldap://127.0.0.1:389 (servicePrincipalName=mqtt/broker.ad.test)', text: expect.stringContaining('svc-old') });
    expect(duplicate!.scenario).toBe('ad-duplicate-spn');
  });

  it('leaves one holder, no holder, and realms that are not AD lab realms alone', async () => {
    const once = await withAdFindings(diagnose(KVNO_120), fakeLab({ 'mqtt/broker.ad.test': [holder('svc-mqtt')] }));
    expect(once[0]!.id).toBe('server-unknown');
    const other = diagnose(KVNO_120.replaceAll('AD.TEST', 'EXAMPLE.COM'));
    expect(await withAdFindings(other, fakeLab({}))).toEqual(other);
  });

  it('lists three holders as "a, b and c"', () => {
    const base: Finding = { id: 'server-unknown', title: '', confidence: 0.9, cause: '', fix: '', evidence: [] };
    const finding = duplicateSpnFinding(base, { spn: 'x/h', realm: 'AD.TEST', netbios: 'AD', ldap: null, holders: [holder('a'), holder('b'), holder('c')] });
    expect(finding.cause).toMatch(/a \(CN=a,[^)]*\), b \(CN=b,[^)]*\) and c \(CN=c,/);
    expect(finding.fix).toContain('delete it from the others');
    expect(finding.evidence[0]!.source).toBe("the DC's directory (servicePrincipalName=x/h)");
  });
});

describe('a key that does not decrypt, in an AD realm', () => {
  it('names the salt AD uses for the account holding the SPN, and MIT\'s that was wrong', async () => {
    const findings = await withAdFindings(diagnose(CANNOT_DECRYPT), fakeLab({ 'mqtt/broker.ad.test': [holder('svc-mqtt')] }));
    const [finding] = findings;
    expect(finding!.id).toBe('keytab-wrong-key');
    expect(finding!.cause).toContain('salt "AD.TESTsvc-mqtt" (realm + sAMAccountName)');
    expect(finding!.cause).toContain('"AD.TESTmqttbroker.ad.test"');
    expect(finding!.commands![0]).toContain('addent -password -p mqtt/broker.ad.test@AD.TEST -k 2 -e aes256-cts-hmac-sha1-96 -s AD.TESTsvc-mqtt');
  });

  it('salts a computer account as AD does (host + name + . + realm)', () => {
    const base: Finding = { id: 'keytab-wrong-key', title: '', confidence: 0.9, cause: '', fix: '', evidence: [] };
    const finding = wrongSaltFinding(base, 'host/ws1.ad.test@AD.TEST', 3, { spn: 'host/ws1.ad.test', realm: 'AD.TEST', netbios: 'AD', ldap: 'ldap://127.0.0.1:389', holders: [holder('WS1$')] });
    expect(finding.fix).toContain('"AD.TESThostws1.ad.test"');
  });

  it('says nothing of salts for an RC4 ticket (RC4 keys take none)', async () => {
    const rc4 = diagnose(CANNOT_DECRYPT.replace('aes256-cts', 'rc4-hmac'));
    expect(await withAdFindings(rc4, fakeLab({ 'mqtt/broker.ad.test': [holder('svc-mqtt')] }))).toEqual(rc4);
  });
});

describe('whether the AD scenarios can run', () => {
  it('routes ad- ids to the AD lab', () => {
    expect(isAdScenario('ad-duplicate-spn')).toBe(true);
    expect(isAdScenario('clock-skew')).toBe(false);
  });

  it('says what to do when they cannot, in the doctor check\'s words', () => {
    const facts = { platform: 'linux' as const, root: true, found: {}, missing: [], sambaVersion: '4.17.12-Debian', ldap: { state: 'free' as const } };
    expect(adLabProblem(facts)).toBeNull();
    expect(adLabProblem({ ...facts, missing: [{ what: 'samba-tool', pkg: 'samba-common-bin' }] })).toMatch(/AD lab cannot run here: missing: samba-tool \(package samba-common-bin\).*sudo scripts\/setup\.sh/);
    expect(adLabProblem({ ...facts, root: false })).toMatch(/not running as root.*Run the bench as root/);
    expect(adLabProblem({ ...facts, ldap: { state: 'other', pid: 42, name: 'slapd' } })).toMatch(/held by slapd \(pid 42\)/);
    expect(adLabProblem({ ...facts, platform: 'darwin' })).toMatch(/Linux only/);
  });
});
