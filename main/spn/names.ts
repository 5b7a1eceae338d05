/**
 * The user name each product derives from an authenticated principal, one entry per setting:
 *   Elasticsearch  Kerberos realm `remove_realm_name`: false (default) → "alice@REALM", true → "alice"
 *                  (the whole name before "@" — "HTTP/host" stays two components).
 *   Hazelcast      kerberos authentication `use-name-without-realm`: false (default) keeps
 *                  "alice@REALM", true cuts "@REALM" off (GssApiLoginModule useNameWithoutRealm).
 *   EMQX           emqx_authn_kerberos answers {ok, #{}, Token}: no user name from the principal, the
 *                  client keeps the CONNECT User Name. kbench's broker (its Exchange identity) maps
 *                  the SASL authorization id when the client sent one, else the principal without realm.
 *   MIT            auth_to_local DEFAULT (krb5_aname_to_localname): a one-component principal in the
 *                  default realm maps to its name; anything else has no local name
 *                  ("No translation available for requested principal").
 */
import type { NameMapping } from '../api/export';
import { parsePrincipal } from '../krb/names';

export const MIT_NO_TRANSLATION = 'No translation available for requested principal';

type NameEntry = NameMapping['names'][number];

/** "alice@BENCH.TEST" → name "alice", realm "BENCH.TEST"; without "@" the realm is the default realm, when known. */
function split(principal: string, defaultRealm: string | undefined): { name: string; realm: string | undefined; components: number } {
  const at = principal.search(/(?<!\\)@/);
  const name = at < 0 ? principal : principal.slice(0, at);
  const realm = at < 0 ? defaultRealm : principal.slice(at + 1);
  return { name, realm, components: parsePrincipal(name).components.length };
}

const full = (name: string, realm: string | undefined) => (realm ? `${name}@${realm}` : name);

function elasticsearch(name: string, realm: string | undefined): NameEntry[] {
  return [
    { product: 'Elasticsearch', setting: 'remove_realm_name', value: 'false (default)', username: full(name, realm) },
    { product: 'Elasticsearch', setting: 'remove_realm_name', value: 'true', username: name },
  ];
}

function hazelcast(name: string, realm: string | undefined): NameEntry[] {
  return [
    { product: 'Hazelcast', setting: 'use-name-without-realm', value: 'false (default)', username: full(name, realm) },
    { product: 'Hazelcast', setting: 'use-name-without-realm', value: 'true', username: name },
  ];
}

function emqx(name: string): NameEntry[] {
  return [
    { product: 'EMQX', setting: 'gssapi authenticator', value: 'emqx_authn_kerberos', username: '(the CONNECT User Name, unchanged: EMQX derives no user name from the principal)' },
    { product: 'EMQX (kbench broker)', setting: 'authorization id', value: 'none sent', username: name },
    { product: 'EMQX (kbench broker)', setting: 'authorization id', value: 'sent by the client', username: '(the authorization id the client sent)' },
  ];
}

/** MIT's DEFAULT rule, once with the principal's own realm as default_realm and once with the machine's, when that differs. */
function mit(name: string, components: number, realm: string | undefined, defaultRealm: { realm: string; source: string } | undefined): NameEntry[] {
  const rule = (against: string) => {
    if (components !== 1) return `(none: DEFAULT maps only one-component names — "${MIT_NO_TRANSLATION}"; add an auth_to_local RULE)`;
    if (realm !== against) return `(none: not in the default realm ${against} — "${MIT_NO_TRANSLATION}"; add auth_to_local = RULE:[1:$1@$0](.*@${(realm ?? 'REALM').replace(/\./g, '\\.')})s/@.*// and auth_to_local = DEFAULT to [realms] ${against})`;
    return name;
  };
  const entries: NameEntry[] = [];
  if (realm) entries.push({ product: 'MIT', setting: 'auth_to_local', value: `DEFAULT, default_realm = ${realm}`, username: rule(realm) });
  if (defaultRealm && defaultRealm.realm !== realm) {
    entries.push({ product: 'MIT', setting: 'auth_to_local', value: `DEFAULT, default_realm = ${defaultRealm.realm} (${defaultRealm.source})`, username: rule(defaultRealm.realm) });
  }
  return entries;
}

/**
 * What each product calls the user `principal` authenticates as. `defaultRealm` is the machine's
 * [libdefaults] default_realm (for a principal written without realm, and for MIT's rule).
 */
export function nameMappings(principal: string, defaultRealm?: { realm: string; source: string }): NameMapping {
  const { name, realm, components } = split(principal.trim(), defaultRealm?.realm);
  return {
    principal: full(name, realm),
    names: [...elasticsearch(name, realm), ...hazelcast(name, realm), ...emqx(name), ...mit(name, components, realm, defaultRealm)],
  };
}
