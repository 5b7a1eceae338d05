/**
 * "Does the KDC know this SPN, and does this keytab hold its current key?" — MIT's `kvno` asks the
 * KDC of a profile (the lab realm by default, as alice; the system's; or a krb5.conf and ccache of
 * the user's) for a ticket to SPN@REALM, and the keytab is read for that name's kvnos
 * (checkSpns in main/http/spn-check.ts does both). The answer keeps MIT's words and names the fix.
 */
import type { SpnCheckInput, SpnCheckResult, SpnValidation } from '../api/export';
import type { SpnCheck } from '../api/http';
import { customProfile, fileOf, systemProfile } from '../gss/profiles';
import type { KerberosProfile } from '../gss/types';
import { checkSpns, krb5ConfigFiles, readKrb5Profiles, realmForHost } from '../http/spn-check';
import { formatName } from '../krb/names';
import type { LabServiceImpl } from '../lab/service';
import { looksHostBased, parseSpn } from './principal';
import { validateSpn } from './validate';

interface CheckProfile {
  profile: KerberosProfile;
  /** The lab realm, for the lab profile. */
  labRealm?: string;
  /** The lab's service keytab, for the lab profile. */
  labKeytab?: string;
}

/** A ccache path as MIT names it ("FILE:/abs/path"), the way customProfile writes it. */
const ccacheName = (ccache: string): string => customProfile({ ccache }).ccache!;

async function profileFor(input: SpnCheckInput, lab: Pick<LabServiceImpl, 'up' | 'profile'>): Promise<CheckProfile> {
  const kind = input.profile ?? 'lab';
  if (kind === 'custom') {
    return { profile: customProfile({ ...(input.krb5Config ? { krb5Config: input.krb5Config } : {}), ...(input.ccache ? { ccache: input.ccache } : {}) }) };
  }
  const override = input.ccache ? { ccache: ccacheName(input.ccache) } : {};
  if (kind === 'system') return { profile: { ...systemProfile(), ...override } };
  const target = input.realm ? { realm: input.realm } : {};
  const status = await lab.up(target);
  const profile = await lab.profile(target);
  return { profile: { ...profile, ...override }, labRealm: status.realm, labKeytab: status.keytabs.service };
}

/** "HTTP/localhost" and its realm: the SPN's own, else --realm, else the lab's, else [domain_realm] / default_realm. */
function nameAndRealm(spn: string, input: SpnCheckInput, labRealm: string | undefined): { name: string; realm: string | undefined; rewritten?: string } {
  const parsed = parseSpn(spn.trim());
  if (looksHostBased(parsed)) {
    const name = `${parsed.components[0]}/${parsed.realm}`;
    return { name, realm: input.realm ?? labRealm, rewritten: `"${spn}" is the host-based form: asked for ${name}` };
  }
  return { name: formatName(parsed.components), realm: parsed.realm || input.realm || labRealm };
}

function kdcUnknownFix(principal: string, where: CheckProfile, keytab: string | undefined, validation: SpnValidation): string {
  const name = validation.valid ? '' : ` — but first check the name: ${validation.problems[0]}`;
  if (where.labRealm) return `the KDC does not know ${principal}: kbench lab principal add ${principal} --random (a random key, also written to the lab's service keytab ${where.labKeytab})${name}`;
  return `the KDC does not know ${principal}: kadmin -q "addprinc -randkey ${principal}", then kadmin -q "ktadd -k ${keytab ?? 'KEYTAB'} ${principal}" for the service${name}`;
}

function staleKeytabFix(principal: string, where: CheckProfile, keytab: string, kvno: number | null): string {
  const current = kvno === null ? 'the current key' : `the current key (kvno ${kvno})`;
  if (where.labRealm) {
    const useLab = keytab !== where.labKeytab ? `use the lab's service keytab ${where.labKeytab} (it holds it), or ` : '';
    return `${keytab} lacks ${current} of ${principal}: ${useLab}kbench lab export-keytab ${keytab} --principal ${principal} (writes the file anew with the current keys, as ktadd -norandkey)`;
  }
  return `${keytab} lacks ${current} of ${principal}: on the KDC, kadmin.local -q "ktadd -norandkey -k ${keytab} ${principal}" exports the current key unchanged (kadmin's ktadd without -norandkey makes a new key, kvno + 1, and every other keytab holding ${principal} goes stale)`;
}

function notAskedFix(where: CheckProfile, check: SpnCheck, realm: string | undefined): string {
  if (check.notes.some((n) => /kvno is not installed/.test(n))) return 'install kvno (Debian krb5-user, Red Hat krb5-workstation) and check again';
  if (where.labRealm && realm && realm !== where.labRealm) return `the lab realm is ${where.labRealm}, not ${realm}: give --realm ${realm} to check it in a lab realm of that name, or --profile system|custom for your own KDC`;
  if (where.labRealm) return 'kbench lab up (starts the KDC and renews alice\'s ticket), then check again';
  return `make sure the ccache holds a TGT (klist; kinit) and krb5.conf names a KDC for ${realm ?? 'the realm'} ([realms]), then check again`;
}

function fixFor(result: Omit<SpnCheckResult, 'fix'>, principal: string, where: CheckProfile, check: SpnCheck, realm: string | undefined): string | undefined {
  if (result.kdcKnows === false) return kdcUnknownFix(principal, where, result.keytab ?? undefined, result);
  if (result.kdcKnows === null) return notAskedFix(where, check, realm);
  if (result.keytab && result.keytabHoldsCurrentKey === false) return staleKeytabFix(principal, where, result.keytab, result.kdcKvno);
  return undefined;
}

/** Asks the profile's KDC for the SPN's current kvno and reads the keytab's kvnos for it. */
export async function checkSpn(input: SpnCheckInput, lab: Pick<LabServiceImpl, 'up' | 'profile'>): Promise<SpnCheckResult> {
  const where = await profileFor(input, lab);
  const files = krb5ConfigFiles(where.profile);
  const profiles = await readKrb5Profiles(files);
  const { name, realm: given, rewritten } = nameAndRealm(input.spn, input, where.labRealm);
  const realm = given ?? realmForHost(profiles, name.split('/')[1] ?? '');
  const principal = realm ? `${name}@${realm}` : name;
  // The name as asked (its realm filled in), so a realm taken from the profile is no problem.
  const validation = { ...validateSpn(principal, input.product ?? 'generic'), spn: input.spn };
  const keytab = input.keytab ? fileOf(input.keytab) : where.labKeytab;
  const detail = [`profile: ${where.profile.name} — krb5.conf ${files.join(', ')}; asking as ${where.profile.ccache ?? process.env.KRB5CCNAME ?? 'MIT\'s default ccache'}`];
  if (rewritten) detail.push(rewritten);
  const [check] = await checkSpns([name], { profile: where.profile, profiles, ...(realm ? { realm } : {}), ...(keytab ? { keytab } : {}) });
  detail.push(`kvno ${principal}`, ...check!.notes);
  if (input.keytab && !keytab) detail.push(`${input.keytab} is not a FILE: keytab: not read`);
  else if (!keytab) detail.push('no keytab given: only the KDC was asked');
  const kdcKvno = check!.kdcKvno ?? null;
  const result: Omit<SpnCheckResult, 'fix'> = {
    ...validation,
    kdcKnows: check!.kdcKnows ?? null,
    kdcKvno,
    keytab: keytab ?? null,
    keytabHoldsCurrentKey: kdcKvno === null ? null : (check!.keytabHoldsCurrentKey ?? null),
    keytabKvnos: check!.keytabKvnos ?? [],
    detail,
  };
  const fix = fixFor(result, principal, where, check!, realm);
  return { ...result, ...(fix ? { fix } : {}) };
}
