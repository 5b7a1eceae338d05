/**
 * The `http` and `negotiate` services: SPNEGO over HTTP (RFC 4559).
 *
 *   http       a local endpoint that authenticates like an Elasticsearch node's Kerberos realm, or
 *              like a web console with Kerberos single sign-on and Basic fallback (WANdisco); its
 *              role mappings (the ES role-mapping API, evaluated with a trace); every request an
 *              Exchange.
 *   negotiate  a client: GET a URL with a Kerberos profile's credentials, round by round, and the
 *              SPN each client stack (MIT/curl, Java, Chromium, Firefox) would ask for.
 */
import type { Exchange } from '../exchange/model';

/** Which GSS implementation runs a Kerberos role: MIT through the native binding, or the JVM's own stack. */
export type GssRuntime = 'mit' | 'java';

export type HttpMode = 'elasticsearch' | 'sso';

// ---- the endpoint -------------------------------------------------------------------------------

export interface HttpServeOptions {
  mode: HttpMode;
  /** The lab realm's HTTP/localhost principal and service keytab, or an SPN and keytab of your own. */
  credentials: 'lab' | 'custom';
  /** credentials 'lab': which lab realm (default BENCH.TEST). */
  realm?: string;
  /** Port on 127.0.0.1; 0 for a free one. Default 9200 (elasticsearch) or 8090 (sso), a free one when taken. */
  port?: number;
  /** "HTTP/localhost@REALM" (default), or "*" / "" to accept any principal the keytab holds, as an ES node does. */
  spn?: string;
  /** Service keytab (custom credentials; lab: default the lab's service keytab). */
  keytab?: string;
  /** Elasticsearch: `remove_realm_name: true` → username "alice" instead of "alice@REALM". */
  removeRealmName?: boolean;
  /** Elasticsearch: also offer and accept Basic (`Basic realm="security"`) against the endpoint's user list. */
  basic?: boolean;
  /**
   * Elasticsearch: an elasticsearch.yml (fragment) on the engine's machine; its
   * `xpack.security.authc.realms.kerberos.NAME` settings override spn-less defaults
   * (keytab.path, remove_realm_name, order, krb.debug).
   */
  esConfig?: string;
  /** Which GSS implementation accepts the tokens (default mit). */
  engine?: GssRuntime;
  /** sso: whether Kerberos SSO starts enabled (default true). */
  ssoEnabled?: boolean;
}

/** A realm as read from `xpack.security.authc.realms.kerberos.NAME` in elasticsearch.yml. */
export interface EsKerberosRealmSettings {
  /** NAME: what `authentication_realm.name` says. */
  name: string;
  order: number;
  keytabPath: string;
  removeRealmName: boolean;
  krbDebug: boolean;
  /** The file and the 1-based line each setting came from ("elasticsearch.yml:12"). */
  lines: Partial<Record<'order' | 'keytab.path' | 'remove_realm_name' | 'krb.debug' | 'realm', string>>;
}

export interface HttpEndpointStatus {
  running: boolean;
  /** "http://localhost:9200" — a host name, so browsers and curl ask for HTTP/localhost. */
  url?: string;
  port?: number;
  /** The default port was taken: this is a free one. */
  fellBack?: boolean;
  mode?: HttpMode;
  engine?: GssRuntime;
  /** The acceptor's name: "HTTP/localhost@BENCH.TEST", or "*" for any key in the keytab. */
  spn?: string;
  keytab?: string;
  /** Elasticsearch: the Kerberos realm's settings (defaults, or from the yml). */
  realm?: EsKerberosRealmSettings;
  basic?: boolean;
  /** sso: Kerberos single sign-on on (Negotiate offered) or off (Basic only). */
  ssoEnabled?: boolean;
  /** sso: the console's local users (names only) and which of them are admins. */
  users?: { name: string; admin: boolean }[];
  /** The 0600 file holding the local users' initial passwords (revealed only by reading it, or `kbench http serve --reveal`). */
  passwordsFile?: string;
  /** The endpoint's recent log lines, oldest first ("Single-sign-on with Kerberos was enabled by admin"). */
  log?: string[];
  requests: number;
  startedAt?: string;
}

/** Where an HTTP request's authentication went: the Exchange's meta.path says one of these. */
export type HttpAuthPath = 'kerberos' | 'basic' | 'basic-fallback' | 'anonymous' | 'refused';

// ---- Elasticsearch role mappings (PUT /_security/role_mapping/NAME) -----------------------------

/** A field rule's value: exact, wildcard ("*@BENCH.TEST") or a /regex/; null matches a missing field. */
export type RoleRuleValue = string | number | boolean | null;

export type RoleMappingRule =
  | { field: Record<string, RoleRuleValue | RoleRuleValue[]> }
  | { any: RoleMappingRule[] }
  | { all: RoleMappingRule[] }
  | { except: RoleMappingRule };

export interface RoleMapping {
  enabled: boolean;
  roles: string[];
  rules: RoleMappingRule;
  metadata?: Record<string, unknown>;
}

/** The user a mapping is evaluated against: what ES puts in the rule's model. */
export interface RoleMappingUser {
  /** "alice@BENCH.TEST", or "alice" with remove_realm_name. */
  username: string;
  /** realm.name: the Kerberos realm's name in elasticsearch.yml ("kerb1"). */
  realmName: string;
  /** metadata.kerberos_realm, metadata.kerberos_user_principal_name … */
  metadata: Record<string, string>;
  /** groups / dn: empty for Kerberos users (ES's Kerberos realm has no groups). */
  groups: string[];
  /** dn: only realms that have one (LDAP, PKI); absent for Kerberos, so a `dn` rule sees a missing field. */
  dn?: string;
}

/** One rule's evaluation: the rule in ES's JSON, whether it matched, and why in words. */
export interface RoleRuleTrace {
  /** The rule as written, e.g. `{"field":{"username":"*@BENCH.TEST"}}`. */
  rule: string;
  matched: boolean;
  /** "username alice@BENCH.TEST matches the wildcard *@BENCH.TEST", "no field metadata.department". */
  why: string;
  children?: RoleRuleTrace[];
}

export interface RoleMappingEvaluation {
  name: string;
  enabled: boolean;
  matched: boolean;
  /** Roles this mapping grants (empty when it did not match or is disabled). */
  granted: string[];
  /** Absent for a disabled mapping (ES does not evaluate it). */
  trace?: RoleRuleTrace;
  /** "disabled", "rules matched", "rules did not match: …" */
  why: string;
}

export interface RoleMappingTestResult {
  user: RoleMappingUser;
  /** The union of granted roles, sorted: what `_authenticate` answers. */
  roles: string[];
  mappings: RoleMappingEvaluation[];
}

/** Test a principal against the stored mappings as the endpoint would map it. */
export interface RoleMappingTestInput {
  /** "alice@BENCH.TEST" (a bare name gets the lab realm). */
  principal: string;
  /** Overrides the endpoint's (or the default) remove_realm_name. */
  removeRealmName?: boolean;
  /** Default: the running endpoint's realm name, else "kerb1". */
  realmName?: string;
}

// ---- the Negotiate probe ------------------------------------------------------------------------

export type ClientStack = 'mit' | 'curl' | 'java' | 'chromium' | 'firefox';

/** The SPN one client stack would request for a URL, and how it got there. */
export interface SpnPrediction {
  client: ClientStack;
  /** "HTTP/localhost" (the realm is the KDC's business: [domain_realm] or referrals). */
  spn: string;
  /** The steps from the URL's host to the SPN: "host 'LocalHost' lower-cased", "CNAME web → web.example.test". */
  steps: string[];
  /** The client would not use Kerberos at all here (e.g. Chromium: host not in the allowlist) and why. */
  noKerberos?: string;
  /** What the client falls back to when Kerberos fails (NTLM for browsers). */
  fallback?: string;
}

export interface SpnCheck {
  spn: string;
  /** The KDC knows SPN@REALM: a service ticket can be issued (undefined: not checked). */
  kdcKnows?: boolean;
  /** The KDC's current kvno for it. */
  kdcKvno?: number;
  /** The service keytab holds SPN@REALM with the KDC's current kvno. */
  keytabHoldsCurrentKey?: boolean;
  keytabKvnos?: number[];
  /** "the KDC answered with KDC_ERR_S_PRINCIPAL_UNKNOWN", "keytab has kvno 2, KDC issues kvno 3". */
  notes: string[];
}

export interface SpnPredictionReport {
  url: string;
  host: string;
  port: number;
  /** The host is an IP address literal: most stacks then ask for HTTP/<ip> or fall back to NTLM. */
  hostIsAddress: boolean;
  /** A non-default port: only some stacks put it in the SPN (Chromium with --enable-auth-negotiate-port). */
  nonDefaultPort: boolean;
  predictions: SpnPrediction[];
  /** Each distinct predicted SPN checked against the KDC and a keytab (when a realm/keytab is known). */
  checks: SpnCheck[];
}

export interface SpnPredictOptions {
  url: string;
  /** Check the SPNs against this profile's KDC (lab: the lab realm). */
  profile?: 'lab' | 'system' | 'custom';
  realm?: string;
  /** A service keytab to check for the SPNs' current keys (lab: the lab's service keytab). */
  keytab?: string;
  /** krb5.conf for 'custom' (and for reading rdns / dns_canonicalize_hostname). */
  krb5Config?: string;
  /** 'custom': the credential cache `kvno` asks the KDC with (default: MIT's default cache). */
  ccache?: string;
  /** How the browsers were started; absent: their defaults (no allowlist, no trusted URIs). */
  browsers?: BrowserSwitches;
}

/** The browser settings that decide whether and how Negotiate is used for a host. */
export interface BrowserSwitches {
  /** Chromium --auth-server-allowlist, comma-separated ("localhost,*.example.test"). */
  chromiumAllowlist?: string;
  /** false: Chromium's --disable-auth-negotiate-cname-lookup (default true). */
  chromiumCnameLookup?: boolean;
  /** Chromium --enable-auth-negotiate-port (default false). */
  chromiumPort?: boolean;
  /** Firefox network.negotiate-auth.trusted-uris (default empty). */
  firefoxTrustedUris?: string;
  /** Firefox network.negotiate-auth.allow-non-fqdn (default false). */
  firefoxAllowNonFqdn?: boolean;
}

export interface NegotiateProbeOptions {
  /** http:// or https:// URL. */
  url: string;
  profile: 'lab' | 'system' | 'custom';
  /** profile 'lab': which lab realm (default BENCH.TEST). */
  realm?: string;
  /** profile 'custom': the files. */
  krb5Config?: string;
  ccache?: string;
  clientKeytab?: string;
  /** Which GSS implementation makes the tokens (default mit). */
  engine?: GssRuntime;
  /** The SPN to ask for; default HTTP/<host> as MIT would build it. */
  spn?: string;
  /** 'spnego' (default, what browsers and curl send) or a raw 'krb5' token. */
  mech?: 'spnego' | 'krb5';
  /** Pause before each request until next() is called. */
  step: boolean;
  /** Follow up to this many redirects (default 5), keeping the header conversation. */
  maxRedirects?: number;
  /** Basic credentials to fall back to when the server offers Basic and Negotiate fails. */
  basic?: { user: string; password: string };
  /** https: skip certificate verification. */
  insecure?: boolean;
}

/** One HTTP request and its response, headers as sent and received. */
export interface HttpHop {
  method: string;
  url: string;
  requestHeaders: [string, string][];
  status?: number;
  statusText?: string;
  responseHeaders?: [string, string][];
  /** The first 4 KiB of the body, as text. */
  body?: string;
  /** "401 with Negotiate: sending an AP-REQ", "302 → /login". */
  note?: string;
}

export interface NegotiateProbePending {
  description: string;
  /** The request about to be sent. */
  hop: HttpHop;
}

/** Whether the server proved itself (RFC 4559 §5: the final WWW-Authenticate token). */
export type MutualAuth = 'verified' | 'not-offered' | 'failed' | 'not-reached';

export interface NegotiateProbeView {
  id: string;
  options: NegotiateProbeOptions;
  state: 'running' | 'waiting' | 'done' | 'failed' | 'closed';
  pending: NegotiateProbePending | null;
  hops: HttpHop[];
  /** The Negotiate conversation as an Exchange (source 'probe', role 'client', mechanism 'Negotiate'). */
  exchange: Exchange;
  mutual: MutualAuth;
  /** The server asked for NTLM, or the client's token was NTLM: why, in words. */
  ntlm?: string;
  /** The SPNs each client stack would request for the URL. */
  spn: SpnPredictionReport;
  /** Final status of the last response. */
  status?: number;
  error?: string;
}

// ---- services -----------------------------------------------------------------------------------

export interface HttpService {
  /** Starts (or restarts) the endpoint on 127.0.0.1; resolves once it listens. */
  serve(options: HttpServeOptions): Promise<HttpEndpointStatus>;
  stop(): Promise<HttpEndpointStatus>;
  status(): Promise<HttpEndpointStatus>;
  /** Recent requests' Exchanges, oldest first. */
  exchanges(): Promise<Exchange[]>;
  /** Every stored role mapping by name (the data directory's role-mappings.json). */
  roleMappings(): Promise<Record<string, RoleMapping>>;
  /**
   * Creates or replaces a mapping — given as a mapping, or as the JSON text of an ES
   * `PUT _security/role_mapping/NAME` body; `created` as ES answers. An invalid one fails with
   * ES's reason, and ES's error body (status 400) as the failure's details.
   */
  putRoleMapping(name: string, mapping: RoleMapping | string): Promise<{ created: boolean }>;
  deleteRoleMapping(name: string): Promise<{ found: boolean }>;
  testRoleMapping(input: RoleMappingTestInput): Promise<RoleMappingTestResult>;
  /** The SSO switch, as the console's admin API sets it (logged "… enabled by bench"). */
  setSso(enabled: boolean): Promise<HttpEndpointStatus>;
  /** The console's local users' initial passwords (for Basic): only ever returned by this explicit call. */
  revealUserPasswords(): Promise<Record<string, string>>;
}

export interface NegotiateService {
  /** Starts a probe (in the background); watch `negotiate.update` events. */
  start(options: NegotiateProbeOptions): Promise<NegotiateProbeView>;
  /** Step mode: send the pending request. */
  next(id: string): Promise<NegotiateProbeView>;
  view(id: string): Promise<NegotiateProbeView>;
  close(id: string): Promise<void>;
  predictSpn(options: SpnPredictOptions): Promise<SpnPredictionReport>;
}
