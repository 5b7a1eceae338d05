/**
 * Findings made specific from an AD lab realm's directory. The error text alone cannot tell an
 * SPN nobody holds from one two accounts hold (AD's KDC answers "Server not found in Kerberos
 * database" for both), nor say which salt a keytab needed; the directory can. When the principal
 * an error names is in one of the bench's AD lab realms, the DC is asked over LDAP
 * ((servicePrincipalName=SPN), as setspn -Q asks) and the finding names what it answered:
 *
 *   server-unknown, SPN on two or more accounts   →  duplicate-spn first, naming every holder
 *   keytab-wrong-key for an AES ticket            →  the salt AD derives the account's keys with
 *
 * Realms that are not AD lab realms are left alone: their directories cannot be read from here.
 */
import type { Finding, FindingEvidence } from '../../api/diagnose';
import type { LabService, LabSpnHolder, LabStatus } from '../../api/lab';
import { adSalt } from '../../krb/ad-salt';
import { defaultSalt } from '../../krb/keytab';
import { parsePrincipal } from '../../krb/names';
import { catalogEntry } from '../catalog';
import { askedPrincipal } from '../server-names';

/** The most confidence a finding gets (match.ts): the directory's answer is as sure as the bench gets. */
const DIRECTORY_CONFIDENCE = 0.97;

/** MIT's acceptor text for a key that is there but does not decrypt: principal, kvno, enctype. */
const UNDECRYPTABLE = /Request ticket server (\S+@\S+) kvno (\d+) enctype (\S+) found in keytab but cannot decrypt ticket/i;

/** What the AD realm said, for the findings: its NetBIOS name and LDAP URL (null: no LDAP), and the SPN's holders. */
export interface SpnLookup {
  spn: string;
  realm: string;
  netbios: string;
  ldap: string | null;
  holders: LabSpnHolder[];
}

/** Evidence from the directory: over LDAP when the DC serves it, else read from its directory file. */
function ldapEvidence(lookup: SpnLookup, text: string): FindingEvidence {
  return { source: `${lookup.ldap ? `LDAP ${lookup.ldap}` : "the DC's directory"} (servicePrincipalName=${lookup.spn})`, text };
}

const holderText = (h: LabSpnHolder) => `${h.account} (${h.dn})`;

/** "a and b", "a, b and c". */
function listed(items: readonly string[]): string {
  return items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** The duplicate-spn finding for an SPN the directory has on two or more accounts; `base` is the server-unknown finding it explains. */
export function duplicateSpnFinding(base: Finding, lookup: SpnLookup): Finding {
  const entry = catalogEntry('duplicate-spn');
  const { spn, realm, holders } = lookup;
  const names = holders.map((h) => h.account);
  return {
    id: 'duplicate-spn',
    title: entry?.title ?? 'The same SPN is registered on more than one account',
    confidence: DIRECTORY_CONFIDENCE,
    cause:
      `${spn} is registered on ${holders.length} accounts in ${realm}: ${listed(holders.map(holderText))}. ` +
      `The KDC cannot tell whose key to encrypt the ticket with, so it answers as if no account held the SPN ("Server not found in Kerberos database").`,
    fix:
      `Keep ${spn} on the one account whose keys the service's keytab holds, and delete it from the other${holders.length > 2 ? 's' : ''} (ACCOUNT below: one of ${listed(names)}). ` +
      'setspn -X lists every duplicate SPN in the domain.',
    commands: [`setspn -Q ${spn}`, `setspn -D ${spn} ${lookup.netbios}\\ACCOUNT`, `samba-tool spn delete ${spn} ACCOUNT`, 'setspn -X'],
    evidence: [...base.evidence, ldapEvidence(lookup, `${spn} is held by ${listed(holders.map(holderText))}`)],
    ...(entry?.reproduce.scenario ? { scenario: entry.reproduce.scenario } : {}),
  };
}

/** keytab-wrong-key made specific: the ticket's account and the salt AD derives its AES keys with. */
export function wrongSaltFinding(base: Finding, principal: string, kvno: number, lookup: SpnLookup & { holders: [LabSpnHolder] }): Finding {
  const [holder] = lookup.holders;
  const computer = holder.account.endsWith('$');
  const salt = adSalt({ realm: lookup.realm, account: holder.account, computer });
  const mitSalt = defaultSalt(parsePrincipal(principal));
  const rule = computer ? 'realm + "host" + the computer name + "." + the lower-case realm' : 'realm + sAMAccountName';
  return {
    ...base,
    cause:
      `${principal} is an SPN of the AD account ${holder.account} (${holder.dn}). AD derives ${holder.account}'s AES keys from its password with the salt "${salt}" (${rule}); ` +
      `a keytab built from the password with MIT's default salt for this principal, "${mitSalt}" (realm + the SPN's components), holds keys the DC never made — the ticket is found but cannot be decrypted. ` +
      `Also possible: the password it was built from is not ${holder.account}'s current one.`,
    fix: `Build the keytab with AD's salt "${salt}" (ktutil addent -s), or export it from the DC, which has the keys themselves.`,
    commands: [
      `ktutil\n  addent -password -p ${principal} -k ${kvno} -e aes256-cts-hmac-sha1-96 -s ${salt}\n  addent -password -p ${principal} -k ${kvno} -e aes128-cts-hmac-sha1-96 -s ${salt}\n  wkt KEYTAB`,
      `samba-tool domain exportkeytab KEYTAB --principal=${principal}`,
      `ktpass /princ ${principal} /mapuser ${lookup.netbios}\\${holder.account} /pass PASSWORD /crypto AES256-SHA1 /ptype KRB5_NT_PRINCIPAL /out KEYTAB`,
    ],
    evidence: [...base.evidence, ldapEvidence(lookup, `${lookup.spn} is held by ${holderText(holder)}: AD salts its AES keys with "${salt}", not "${mitSalt}"`)],
  };
}

/** The realm when it is a running AD lab realm, else null (its directory cannot be asked). */
async function adLabRealm(lab: LabService, realm: string): Promise<LabStatus | null> {
  try {
    const status = await lab.status({ realm });
    return status.kind === 'ad' && status.state === 'running' && status.ad ? status : null;
  } catch {
    return null;
  }
}

/** Who holds `principal`'s SPN in its realm, when that is a running AD lab realm; null otherwise. */
async function lookUp(lab: LabService, principal: string): Promise<SpnLookup | null> {
  const at = principal.lastIndexOf('@');
  if (at <= 0) return null;
  const [spn, realm] = [principal.slice(0, at), principal.slice(at + 1)];
  const status = await adLabRealm(lab, realm);
  if (!status?.ad) return null;
  try {
    const holders = await lab.findSpn({ realm, kind: 'ad', spn });
    return { spn, realm, netbios: status.ad.netbios, ldap: status.ad.ldap, holders };
  } catch {
    return null;
  }
}

async function specific(finding: Finding, lab: LabService): Promise<Finding[]> {
  const texts = finding.evidence.map((e) => e.text);
  if (finding.id === 'server-unknown') {
    const asked = askedPrincipal(texts);
    const lookup = asked ? await lookUp(lab, asked) : null;
    if (lookup && lookup.holders.length > 1) return [duplicateSpnFinding(finding, lookup), finding];
  }
  if (finding.id === 'keytab-wrong-key') {
    const match = texts.map((t) => UNDECRYPTABLE.exec(t)).find((m) => m);
    // RC4 keys take no salt: only an AES ticket can be a salt mistake.
    if (match && /^aes/i.test(match[3]!)) {
      const lookup = await lookUp(lab, match[1]!);
      if (lookup?.holders.length === 1) return [wrongSaltFinding(finding, match[1]!, Number(match[2]), lookup as SpnLookup & { holders: [LabSpnHolder] })];
    }
  }
  return [finding];
}

/** Findings with what an AD lab realm's directory says added (best first; a directory answer outranks a text match). */
export async function withAdFindings(findings: readonly Finding[], lab: LabService): Promise<Finding[]> {
  const expanded = (await Promise.all(findings.map((f) => specific(f, lab)))).flat();
  return expanded.sort((a, b) => b.confidence - a.confidence);
}
