/**
 * Kerberos names and numbers: principal names (RFC 4120 §6.2), name types, enctype and
 * checksum type names as MIT spells them (klist -e), so our output reads like the tools users
 * already know.
 */

/** RFC 4120 §6.2 name types. */
export const NameType = {
  UNKNOWN: 0,
  PRINCIPAL: 1,
  SRV_INST: 2,
  SRV_HST: 3,
  SRV_XHST: 4,
  UID: 5,
  X500_PRINCIPAL: 6,
  SMTP_NAME: 7,
  ENTERPRISE: 10,
  WELLKNOWN: 11,
  MS_PRINCIPAL: -128,
} as const;

const nameTypeNames = new Map<number, string>(Object.entries(NameType).map(([k, v]) => [v, `KRB5_NT_${k}`]));

export function nameTypeName(type: number): string {
  return nameTypeNames.get(type) ?? `name-type ${type}`;
}

/** A principal: realm plus name components, as in ccaches and keytabs. */
export interface Principal {
  nameType: number;
  components: string[];
  realm: string;
}

/** Escapes the characters MIT escapes when unparsing a name component or realm. */
function escape(text: string, isRealm: boolean): string {
  return text.replace(isRealm ? /[\\@\0\n\t\b]/g : /[\\/@\0\n\t\b]/g, (c) => ({ '\0': '\\0', '\n': '\\n', '\t': '\\t', '\b': '\\b' })[c] ?? `\\${c}`);
}

/** "svc/host@REALM"; an empty realm prints as "svc/host@" (MIT referral entries). */
export function formatPrincipal(p: Pick<Principal, 'components' | 'realm'>): string {
  return `${p.components.map((c) => escape(c, false)).join('/')}@${escape(p.realm, true)}`;
}

/** "svc/host" without realm. */
export function formatName(components: readonly string[]): string {
  return components.map((c) => escape(c, false)).join('/');
}

/**
 * Parses "svc/host@REALM" (backslash escapes honoured). Without "@", `defaultRealm` is used.
 * Name type: SRV_HST for two-component service names is what MIT's kadmin assigns only on
 * request; we use PRINCIPAL like krb5_parse_name.
 */
export function parsePrincipal(text: string, defaultRealm = ''): Principal {
  const components: string[] = [];
  let current = '';
  let realm: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      const n = text[++i]!;
      current += ({ '0': '\0', n: '\n', t: '\t', b: '\b' } as Record<string, string>)[n] ?? n;
    } else if (c === '/' && realm === undefined) {
      components.push(current);
      current = '';
    } else if (c === '@' && realm === undefined) {
      components.push(current);
      current = '';
      realm = '';
    } else {
      current += c;
    }
  }
  if (realm === undefined) components.push(current);
  else realm = current;
  return { nameType: NameType.PRINCIPAL, components, realm: realm ?? defaultRealm };
}

/** Encryption types (RFC 3961 registry) with the names MIT's klist prints. */
export const ENCTYPES: Record<number, string> = {
  1: 'des-cbc-crc',
  2: 'des-cbc-md4',
  3: 'des-cbc-md5',
  16: 'des3-cbc-sha1',
  17: 'aes128-cts-hmac-sha1-96',
  18: 'aes256-cts-hmac-sha1-96',
  19: 'aes128-cts-hmac-sha256-128',
  20: 'aes256-cts-hmac-sha384-192',
  23: 'arcfour-hmac',
  24: 'arcfour-hmac-exp',
  25: 'camellia128-cts-cmac',
  26: 'camellia256-cts-cmac',
};

/** Aliases users type (kadmin, ktpass, Java) for the canonical names above. */
const ENCTYPE_ALIASES: Record<string, number> = {
  aes128: 17,
  aes256: 18,
  'aes128-cts': 17,
  'aes256-cts': 18,
  'aes128-sha1': 17,
  'aes256-sha1': 18,
  'aes128-sha2': 19,
  'aes256-sha2': 20,
  rc4: 23,
  'rc4-hmac': 23,
  'arcfour-hmac-md5': 23,
  des3: 16,
  'des3-cbc-sha1-kd': 16,
  'des3-hmac-sha1': 16,
  'camellia128-cts': 25,
  'camellia256-cts': 26,
};

export function enctypeName(id: number): string {
  return ENCTYPES[id] ?? `etype ${id}`;
}

/** Accepts a number, a canonical name, an alias, or MIT's "DEPRECATED:" form. */
export function enctypeId(nameOrId: string | number): number | undefined {
  if (typeof nameOrId === 'number') return nameOrId;
  const text = nameOrId.trim().toLowerCase().replace(/^deprecated:/, '');
  if (/^-?\d+$/.test(text)) return Number(text);
  for (const [id, name] of Object.entries(ENCTYPES)) if (name === text) return Number(id);
  return ENCTYPE_ALIASES[text];
}

/** Checksum types (RFC 3961 §8, RFC 8009, RFC 6803, RFC 4757) and the GSS checksum of RFC 4121 §4.1.1. */
export const CHECKSUM_TYPES: Record<number, string> = {
  1: 'crc32',
  7: 'rsa-md5',
  8: 'rsa-md5-des',
  12: 'hmac-sha1-des3-kd',
  15: 'hmac-sha1-96-aes128',
  16: 'hmac-sha1-96-aes256',
  17: 'cmac-camellia128',
  18: 'cmac-camellia256',
  19: 'hmac-sha256-128-aes128',
  20: 'hmac-sha384-192-aes256',
  [-138]: 'hmac-md5-arcfour',
  0x8003: 'GSS-API checksum (RFC 4121)',
};

export function checksumTypeName(id: number): string {
  return CHECKSUM_TYPES[id] ?? `checksum type ${id}`;
}
