/**
 * Importer for MIT krb5.conf (includes followed, see ../krb5/includes.ts). "Test my config":
 * against the lab, a krb5.conf for the lab realm keeping the user's [libdefaults] (rdns,
 * canonicalisation, enctypes …), then kinit with alice's keytab and kvno mqtt/localhost; against
 * the user's own realm, kinit with the file as it is against its KDCs (a few seconds at most).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ImportTestStep } from '../../api/export';
import { mitLogin, type MitStep } from '../krb5/mit';
import { detectKrb5Conf, readKrb5Conf } from '../krb5/read';
import { LAB_TEST_DROPS } from '../krb5/settings';
import type { Importer, ImportReading, TestContext } from '../types';

/** A KDC that does not answer within this is reported as such (MIT would wait longer). */
const OWN_REALM_TIMEOUT_MS = 5000;

export const krb5Importer: Importer = {
  format: 'krb5',
  detect: (source) => detectKrb5Conf(source.text),
  read: async (source) => readKrb5Conf(source),
  async test(reading, context) {
    return context.labStatus !== undefined ? testAgainstLab(reading, context) : testOwnRealm(reading);
  },
};

async function testAgainstLab(reading: ImportReading, context: TestContext): Promise<{ steps: ImportTestStep[]; against: string }> {
  const lab = context.labStatus!;
  const against = `lab realm ${lab.realm}`;
  if (!lab.kdc) return { against, steps: [{ name: 'lab realm', ok: false, detail: `the lab realm ${lab.realm} has no KDC running` }] };
  const kept = Object.entries(reading.setup.libdefaults ?? {}).filter(([tag]) => !LAB_TEST_DROPS.has(tag));
  const text = labKrb5Conf(lab.realm, lab.kdc, kept);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-krb5-test-'));
  try {
    const file = path.join(dir, 'krb5.conf');
    await writeFile(file, text, { mode: 0o600 });
    const steps: ImportTestStep[] = [
      {
        name: 'krb5.conf for the lab realm',
        ok: true,
        detail: kept.length ? `your [libdefaults] kept: ${kept.map(([k, v]) => `${k} = ${v}`).join(', ')}` : 'no [libdefaults] of yours to keep: the lab realm only',
      },
      ...(await mitLogin({ krb5Config: file, realm: lab.realm, client: `alice@${lab.realm}`, clientKeytab: lab.keytabs.client, service: `mqtt/localhost@${lab.realm}` })).map(withFix),
    ];
    return { against, steps };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The lab realm's KDC with the user's settings: what their clients would do against this realm. */
export function labKrb5Conf(realm: string, kdc: string, libdefaults: [string, string][]): string {
  return [
    '[libdefaults]',
    `  default_realm = ${realm}`,
    '  dns_lookup_kdc = false',
    '  dns_lookup_realm = false',
    ...libdefaults.map(([k, v]) => `  ${k} = ${v}`),
    '[realms]',
    `  ${realm} = {`,
    `    kdc = ${kdc}`,
    '  }',
    '[domain_realm]',
    `  localhost = ${realm}`,
    `  .localhost = ${realm}`,
    '',
  ].join('\n');
}

async function testOwnRealm(reading: ImportReading): Promise<{ steps: ImportTestStep[]; against: string }> {
  const { realm, krb5Config, kdcs } = reading.setup;
  const against = realm ? `realm ${realm}${kdcs?.length ? ` (KDC ${kdcs.join(', ')})` : ''}` : 'your realm';
  if (!krb5Config) return { against, steps: [{ name: 'krb5.conf on disk', ok: false, detail: 'a dropped file cannot be run by kinit: import it from its place on disk' }] };
  if (!realm) return { against, steps: [{ name: 'default realm', ok: false, detail: 'no default_realm and more than one realm: kinit would say "Cannot locate default realm"' }] };
  // No password of the user's is known: a made-up client shows whether a KDC of the realm answers at all.
  const client = `kbench-probe@${realm}`;
  const [kinit] = await mitLogin({ krb5Config, realm, client, password: 'not-a-password', timeoutMs: OWN_REALM_TIMEOUT_MS });
  const answered = kinit !== undefined && (kinit.ok || /not found in Kerberos database|Password incorrect|Preauthentication failed|revoked|expired/.test(kinit.detail));
  return {
    against,
    steps: [{ name: `kinit ${client} (does a KDC of ${realm} answer?)`, ok: answered, detail: answered ? `the KDC answered: ${kinit!.detail}` : withFix(kinit!).detail, ms: kinit?.ms ?? 0 }],
  };
}

/** MIT's text, and what to change when the cause is known. */
function withFix(step: MitStep): ImportTestStep {
  if (step.ok) return step;
  const fixes: [RegExp, string][] = [
    [/Keytab contains no suitable keys|KDC has no support for encryption type|enctype/i, 'your permitted_enctypes / default_tkt_enctypes leave out every enctype the keys have: add aes256-cts-hmac-sha1-96'],
    [/Cannot contact any KDC/, 'check the kdc lines of [realms] (host:port) and that the KDC runs and is reachable'],
    [/Cannot find KDC for realm/, 'add the realm to [realms] with its kdc, or turn dns_lookup_kdc on with SRV records in DNS'],
    [/Included profile (file|directory) could not be read/, 'fix the include lines this import reports'],
    [/Server .* not found in Kerberos database/, 'the service name was changed by rdns / dns_canonicalize_hostname / qualify_shortname: set them to false'],
  ];
  const fix = fixes.find(([re]) => re.test(step.detail))?.[1];
  return fix ? { ...step, detail: `${step.detail} — ${fix}` } : step;
}
