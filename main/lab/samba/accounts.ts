/**
 * An AD realm's accounts as the lab shows them, read from the DC's directory (sAMAccountName,
 * servicePrincipalName, msDS-KeyVersionNumber, msDS-SupportedEncryptionTypes, userAccountControl,
 * accountExpires, pwdLastSet), and the words AD uses for them turned into the lab's.
 */
import type { LabAccount, LabAccountKind, LabEnctypeChoice, LabPrincipal } from '../../api/lab';
import { adSalt } from '../../krb/ad-salt';
import { attribute, attributeValues, type LdifEntry } from './ldif';
import { escapeFilter, SUPPORTED_ENCTYPE_BITS, UAC, type SambaRealm } from './realm';

const ACCOUNT_ATTRIBUTES = [
  'sAMAccountName',
  'servicePrincipalName',
  'msDS-KeyVersionNumber',
  'msDS-SupportedEncryptionTypes',
  'userAccountControl',
  'accountExpires',
  'pwdLastSet',
  'objectClass',
];

/** Windows FILETIME (100 ns since 1601) of a Unix time in ms. */
export function filetime(unixMs: number): bigint {
  return BigInt(Math.trunc(unixMs)) * 10_000n + 116_444_736_000_000_000n;
}

/** accountExpires values that mean "never". */
const NEVER = new Set(['0', '9223372036854775807']);

export const ENCTYPE_CHOICE_BITS: Record<Exclude<LabEnctypeChoice, 'unset'>, number> = {
  rc4: SUPPORTED_ENCTYPE_BITS.rc4,
  aes: SUPPORTED_ENCTYPE_BITS.aes128 | SUPPORTED_ENCTYPE_BITS.aes256,
  both: SUPPORTED_ENCTYPE_BITS.rc4 | SUPPORTED_ENCTYPE_BITS.aes128 | SUPPORTED_ENCTYPE_BITS.aes256,
};

export function enctypeChoice(bits: number | null): LabEnctypeChoice {
  if (bits === null) return 'unset';
  const rc4 = (bits & SUPPORTED_ENCTYPE_BITS.rc4) !== 0;
  const aes = (bits & (SUPPORTED_ENCTYPE_BITS.aes128 | SUPPORTED_ENCTYPE_BITS.aes256)) !== 0;
  return rc4 && aes ? 'both' : aes ? 'aes' : 'rc4';
}

/** The enctypes a service ticket / an exported keytab of the account has, as MIT names them. */
export function enctypeNames(choice: LabEnctypeChoice): string[] {
  const aes = ['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha1-96'];
  if (choice === 'aes') return aes;
  if (choice === 'both') return [...aes, 'arcfour-hmac'];
  return ['arcfour-hmac']; // rc4, and unset: AD's default for accounts without the attribute
}

function accountKind(entry: LdifEntry): LabAccountKind {
  if (attributeValues(entry, 'objectClass').some((c) => c.toLowerCase() === 'computer')) return 'computer';
  return attributeValues(entry, 'servicePrincipalName').length ? 'service' : 'user';
}

export interface AccountFacts {
  passwords: Record<string, string>;
  /** Principals (with realm) the service keytab holds. */
  inServiceKeytab: Set<string>;
}

export function toAccount(entry: LdifEntry, realm: string, facts: AccountFacts): LabAccount {
  const name = attribute(entry, 'sAMAccountName') ?? '';
  const uac = Number(attribute(entry, 'userAccountControl') ?? 0);
  const supported = attribute(entry, 'msDS-SupportedEncryptionTypes');
  const bits = supported === undefined ? null : Number(supported);
  const expires = attribute(entry, 'accountExpires') ?? '0';
  const kind = accountKind(entry);
  const principal = `${name}@${realm}`;
  const spns = attributeValues(entry, 'servicePrincipalName');
  return {
    name,
    kind,
    dn: entry.dn,
    principal,
    spns,
    kvno: Number(attribute(entry, 'msDS-KeyVersionNumber') ?? 0),
    enctypes: enctypeChoice(bits),
    supportedEncryptionTypes: bits,
    userAccountControl: uac,
    enabled: (uac & UAC.ACCOUNTDISABLE) === 0,
    expired: !NEVER.has(expires) && BigInt(expires) < filetime(Date.now()),
    mustChangePassword: attribute(entry, 'pwdLastSet') === '0',
    requiresPreauth: (uac & UAC.DONT_REQ_PREAUTH) === 0,
    salt: adSalt({ realm, account: name, computer: kind === 'computer' }),
    hasPassword: facts.passwords[principal] !== undefined,
    inServiceKeytab: facts.inServiceKeytab.has(principal) || spns.some((spn) => facts.inServiceKeytab.has(`${spn}@${realm}`)),
  };
}

/** The accounts the lab made: every user and computer but AD's own (critical system objects: Administrator, krbtgt, the DC). */
export async function listAccounts(realm: SambaRealm, facts: AccountFacts): Promise<LabAccount[]> {
  const entries = await realm.search('(&(objectClass=user)(!(isCriticalSystemObject=TRUE)))', ACCOUNT_ATTRIBUTES);
  return entries
    .filter((e) => attribute(e, 'sAMAccountName') && attribute(e, 'sAMAccountName') !== 'Guest')
    .map((e) => toAccount(e, realm.realm, facts))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function krbtgtKvno(realm: SambaRealm): Promise<number> {
  const [entry] = await realm.search('(sAMAccountName=krbtgt)', ['msDS-KeyVersionNumber']);
  return Number((entry && attribute(entry, 'msDS-KeyVersionNumber')) ?? 1);
}

/** The account holding an SPN (the local directory), or null. */
export async function spnHolder(realm: SambaRealm, spn: string): Promise<string | null> {
  const [entry] = await realm.search(`(servicePrincipalName=${escapeFilter(spn)})`, ['sAMAccountName']);
  return (entry && attribute(entry, 'sAMAccountName')) ?? null;
}

/** LabStatus.principals of an AD realm: krbtgt, the user accounts, and every SPN as a service. */
export function principalsOf(accounts: LabAccount[], realm: string, krbtgt: number): LabPrincipal[] {
  const out: LabPrincipal[] = [
    { name: `krbtgt/${realm}@${realm}`, kind: 'krbtgt', kvno: krbtgt, enctypes: enctypeNames('both'), flags: { requiresPreauth: true, allowTix: true }, hasPassword: false, inServiceKeytab: false },
  ];
  const flags = (a: LabAccount) => ({ requiresPreauth: a.requiresPreauth, allowTix: a.enabled && !a.expired });
  for (const a of accounts.filter((x) => x.kind === 'user')) {
    out.push({ name: a.principal, kind: 'user', kvno: a.kvno, enctypes: enctypeNames(a.enctypes === 'unset' ? 'both' : a.enctypes), flags: flags(a), hasPassword: a.hasPassword, inServiceKeytab: a.inServiceKeytab });
  }
  for (const a of accounts.filter((x) => x.kind !== 'user')) {
    for (const spn of a.spns) out.push({ name: `${spn}@${realm}`, kind: 'service', kvno: a.kvno, enctypes: enctypeNames(a.enctypes), flags: flags(a), hasPassword: a.hasPassword, inServiceKeytab: a.inServiceKeytab });
  }
  return out;
}
