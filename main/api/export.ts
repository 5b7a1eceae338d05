/**
 * The `export`, `importer` and `spn` services: the configuration that worked, as files for the
 * real systems (EMQX, Elasticsearch, Hazelcast, Azure IoT MQ, MIT clients, Java, browsers), each
 * proven by the real stack before it is offered; the user's own configuration files read into a
 * setup the bench runs; and service principal names built, validated and checked.
 */
import type { Exchange } from '../exchange/model';
import type { EsKerberosRealmSettings } from './http';
import type { HazelcastSecurity } from './hazelcast';
import type { FileSource } from './inspect';

export type ExportTargetId = 'emqx' | 'krb5' | 'elasticsearch' | 'hazelcast-xml' | 'hazelcast-yaml' | 'azure' | 'mqttjs' | 'java' | 'browser';

/** How a preview highlights a file. */
export type ExportLanguage = 'hocon' | 'krb5' | 'yaml' | 'xml' | 'toml' | 'json' | 'typescript' | 'jaas' | 'properties' | 'shell' | 'markdown' | 'text' | 'binary';

export interface ExportTargetInfo {
  id: ExportTargetId;
  /** "EMQX (GSSAPI-KERBEROS)". */
  title: string;
  /** One sentence: what the user gets. */
  summary: string;
  /** What proves it, in a few words each ("HOCON parsed by com.typesafe.config", "kinit with the client keytab"). */
  proofs: string[];
}

/** Where the realm, its KDCs, principals and keytabs come from. */
export type ExportFrom =
  | { kind: 'lab'; realm?: string }
  | {
      kind: 'profile';
      /** system: the machine's krb5.conf (KRB5_CONFIG or /etc/krb5.conf); custom: krb5Config. */
      profile: 'system' | 'custom';
      krb5Config?: string;
      realm?: string;
      /** The service's principal and keytab (EMQX's mqtt/FQDN, ES's HTTP/FQDN, Hazelcast's hz/ADDRESS …). */
      servicePrincipal?: string;
      serviceKeytab?: string;
      clientPrincipal?: string;
      clientKeytab?: string;
      ccache?: string;
    };

export interface ExportOptions {
  /** The host name the real service runs on (default: the host of its principal, "localhost" in the lab). */
  host?: string;
  /** mqttjs, emqx: the broker URL clients connect to (default mqtt://HOST:1883). */
  mqttUrl?: string;
  /** Hazelcast: the simplified form (principal + keytab-file, default) or JAAS Krb5LoginModule realms. */
  hazelcastForm?: 'simple' | 'full';
  /** Hazelcast member SPN: prefix + member address (default "hz/" + 127.0.0.1 in the lab), canonical host names, or one static SPN. */
  hazelcastSpn?: { kind: 'prefix'; prefix?: string; address?: string } | { kind: 'canonical'; prefix?: string } | { kind: 'static'; spn: string };
  /** Hazelcast: use-name-without-realm on the authentication side. */
  useNameWithoutRealm?: boolean;
  elasticsearch?: {
    /** xpack.security.authc.realms.kerberos.NAME (default kerb1). */
    realmName?: string;
    order?: number;
    removeRealmName?: boolean;
    /** Node host names: one HTTP/host@REALM each (default: the host). */
    nodes?: string[];
    /** Roles the role mapping grants (default ["monitoring_user"]). */
    roles?: string[];
  };
  azure?: {
    /** A BrokerAuthentication + BrokerListener YAML to export (default: a Kerberos + usernamePassword chain made for the realm). */
    chainFile?: string;
    /** Kubernetes namespace (default azure-iot-operations). */
    namespace?: string;
  };
  browser?: {
    /** Hosts or domains SPNEGO is allowed for (default: the host). "*.example.com" style is kept as written. */
    allow?: string[];
    /** Hosts credentials may be delegated to (default: none). */
    delegate?: string[];
  };
}

export interface ExportRequest {
  target: ExportTargetId;
  /** Default: the lab realm BENCH.TEST. */
  from?: ExportFrom;
  /**
   * A successful Exchange the export reproduces (by id from this engine's history, or a saved
   * Exchange JSON file): its service principal, client and name settings; it marks the export
   * "known to work" with its id and date. A failed Exchange is refused with its verdict.
   */
  exchange?: { id: string } | { file: string };
  /** A configuration file read by importer.read: its settings win over the defaults. */
  imported?: { file: string; as?: ImportFormat };
  /** Put secrets (keytab bytes, password hashes) into the files instead of placeholders. */
  revealSecrets?: boolean;
  /** Run the proofs (default true). */
  prove?: boolean;
  options?: ExportOptions;
}

export interface ExportFile {
  /** Relative path under the output directory: "krb5.conf", "emqx/authentication.conf". */
  path: string;
  language: ExportLanguage;
  /** UTF-8 text; '' for a binary file. */
  text: string;
  /** base64 bytes of a binary file (a keytab), only when secrets are revealed. */
  binary?: string;
  /** Mode the file is written with: 0o600 for keytabs and files with secrets, else 0o644. */
  mode: number;
  /** One line: what it is and where it goes on the real system. */
  purpose: string;
  /** Secrets in it were replaced by placeholders. */
  redacted: boolean;
  /** Not written, and why ("holds the service key: pass --reveal-secrets"); its purpose says how to make it instead. */
  withheld?: string;
}

export interface ExportProof {
  /** "HOCON parsed by com.typesafe.config 1.3.1". */
  name: string;
  ok: boolean;
  /** What was run and what it said; on failure, why and what to change. */
  detail: string;
  ms?: number;
}

export interface ExportResult {
  /** For save(); kept by the engine for an hour. */
  id: string;
  target: ExportTargetId;
  title: string;
  files: ExportFile[];
  proofs: ExportProof[];
  /** Every proof passed; false when one failed; null when proofs were not run. */
  proven: boolean | null;
  /** The export reproduces this successful Exchange. */
  knownToWork: { exchangeId: string; date: string; summary: string } | null;
  /** What it was made from: "lab realm BENCH.TEST", "Exchange 3f2c… (broker, alice@BENCH.TEST)", "elasticsearch.yml (imported)". */
  basis: string;
  /** Steps to do by hand (dashboard clicks, where the keytab goes, packages). */
  notes: string[];
  revealed: boolean;
  createdAt: string;
}

export interface ExportSaveInput {
  id: string;
  /** Directory on the engine's machine; created when missing. */
  dir: string;
  /** Replace existing files (refused otherwise, naming every file that exists). */
  force?: boolean;
}

export interface ExportSaveResult {
  dir: string;
  written: { path: string; mode: number; bytes: number }[];
  withheld: { path: string; why: string }[];
}

export interface ExportService {
  targets(): Promise<ExportTargetInfo[]>;
  /** Generates the files and (unless prove: false) runs every proof on the real stack. */
  generate(request: ExportRequest): Promise<ExportResult>;
  /** Writes a generated export's files under dir (keytabs 0600); nothing is overwritten without force. */
  save(input: ExportSaveInput): Promise<ExportSaveResult>;
}

// ——— Import ———

/** The formats the importer reads, in the order `--as` lists them. */
export const IMPORT_FORMATS = ['krb5', 'emqx', 'elasticsearch', 'hazelcast', 'azure'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** A setting the bench understood and uses, where it came from. */
export interface ImportSetting {
  /** Its name in the file's own terms: "libdefaults.default_realm", "authentication[0].principal", "xpack.security.authc.realms.kerberos.kerb1.order". */
  key: string;
  value: string;
  file: string;
  line: number;
  /** What the bench does with it. */
  use?: string;
}

/** A setting the bench read but cannot use, and why. */
export interface ImportUnused {
  key: string;
  value?: string;
  file: string;
  line: number;
  why: string;
}

export interface ImportProblem {
  file: string;
  line: number;
  severity: 'error' | 'warning';
  message: string;
  /** What to change. */
  fix?: string;
}

/** What the imported file sets up on the bench: a Kerberos profile and the product's listener settings. */
export interface ImportSetup {
  realm?: string;
  /** "host:port" of each KDC, in order. */
  kdcs?: string[];
  /** A krb5.conf the bench runs with (the imported one, or written for an imported realm). */
  krb5Config?: string;
  servicePrincipal?: string;
  serviceKeytab?: string;
  clientPrincipal?: string;
  clientKeytab?: string;
  /** EMQX: the broker settings EMQX would run with. */
  broker?: { principal: string; keytab?: string; variant: 'emqx' };
  elasticsearch?: EsKerberosRealmSettings;
  hazelcast?: HazelcastSecurity;
  /** Azure: the YAML file the chain runs from. */
  chainFile?: string;
  /** krb5.conf: the [libdefaults] settings that change names and enctypes (rdns, dns_canonicalize_hostname, permitted_enctypes …). */
  libdefaults?: Record<string, string>;
  domainRealm?: { domain: string; realm: string }[];
  /** krb5.conf: every [realms] block as read (kdc, admin_server, primary_kdc, auth_to_local …), so an export writes them back. */
  realms?: { name: string; tags: { tag: string; value: string }[] }[];
}

export interface ImportResult {
  file: string;
  format: ImportFormat;
  /** Why this format: "--as emqx", "a [libdefaults] section", "xpack.security.authc.realms.kerberos". */
  detectedBy: string;
  /** Every file read, the first one first (krb5.conf includes followed). */
  files: string[];
  understood: ImportSetting[];
  unused: ImportUnused[];
  /** Errors make the setup unusable (test() refuses it); warnings do not. */
  problems: ImportProblem[];
  setup: ImportSetup;
}

export interface ImportReadInput {
  file: FileSource;
  as?: ImportFormat;
}

export interface ImportTestInput extends ImportReadInput {
  /** Run the flow against the lab realm (default; its principals and keytabs stand in for missing ones) or the imported realm as it is. */
  against?: { kind: 'lab'; realm?: string } | { kind: 'own' };
}

export interface ImportTestStep {
  /** "identity login (Krb5LoginModule)", "ticket for hz/127.0.0.1@BENCH.TEST", "acceptance". */
  name: string;
  ok: boolean;
  /** The real stack's own text on failure (Java's, MIT's), and the fix when known. */
  detail: string;
  ms?: number;
}

export interface ImportTestResult {
  import: ImportResult;
  ok: boolean;
  /** "lab realm BENCH.TEST" or "realm EXAMPLE.COM (KDC kdc1.example.com:88)". */
  against: string;
  steps: ImportTestStep[];
  /** The flow's Exchange, when it made one (the broker's, the endpoint's). */
  exchange?: Exchange;
}

export interface ImportService {
  /** Reads a configuration file into a setup; never throws for a bad file (problems say file:line). */
  read(input: ImportReadInput): Promise<ImportResult>;
  /** Reads it, then runs the real flow: login, ticket, acceptance — the stack's own texts on failure. */
  test(input: ImportTestInput): Promise<ImportTestResult>;
}

// ——— SPN and name tools ———

export type SpnProduct = 'emqx' | 'elasticsearch' | 'hazelcast' | 'http' | 'generic';

export interface SpnBuildInput {
  product: SpnProduct;
  realm: string;
  /** The service's host (EMQX, HTTP, generic) or the member's address (Hazelcast). */
  host?: string;
  /** EMQX / generic: the service part (default mqtt for EMQX, HTTP for http/elasticsearch). */
  service?: string;
  /** Elasticsearch: every node's host name (one SPN each). */
  nodes?: string[];
  hazelcast?: { prefix?: string; useCanonicalHostname?: boolean; spn?: string };
  /** Also resolve each host forward and reverse (default true). */
  dns?: boolean;
}

export interface SpnCandidate {
  spn: string;
  /** "node es1.example.com", "member 10.0.0.5". */
  for: string;
  valid: boolean;
  /** Each problem in the product's own words (EMQX: invalid_server_principal_string). */
  problems: string[];
  /** How it was built, step by step. */
  steps: string[];
}

export interface DnsLookup {
  host: string;
  /** Forward: the addresses it resolves to. */
  addresses: string[];
  /** The canonical name (CNAME target), when it differs. */
  canonical?: string;
  reverse: { address: string; names: string[]; error?: string }[];
  error?: string;
}

export interface SpnBuildResult {
  product: SpnProduct;
  spns: SpnCandidate[];
  dns: DnsLookup[];
}

export interface SpnValidateInput {
  spn: string;
  product?: SpnProduct;
}

export interface SpnValidation {
  spn: string;
  valid: boolean;
  problems: string[];
  /** service, host, realm as parsed. */
  parts: { service: string; host: string; realm: string | null } | null;
}

export interface NameMapping {
  principal: string;
  /** What each product calls the user. */
  names: { product: string; setting: string; value: string; username: string }[];
}

export interface SpnCheckInput {
  spn: string;
  product?: SpnProduct;
  /** Which KDC answers: the lab realm (default), the system's, or a krb5.conf of your own. */
  profile?: 'lab' | 'system' | 'custom';
  realm?: string;
  krb5Config?: string;
  /** Default: the lab's service keytab (lab profile) or none. */
  keytab?: string;
  /** The ccache that asks the KDC (default: the lab's alice, or KRB5CCNAME). */
  ccache?: string;
}

export interface SpnCheckResult extends SpnValidation {
  /** The KDC issued a ticket for it (kvno); null when it could not be asked. */
  kdcKnows: boolean | null;
  kdcKvno: number | null;
  keytab: string | null;
  /** The keytab holds a key of the KDC's kvno for it; null when there was no keytab or no kvno. */
  keytabHoldsCurrentKey: boolean | null;
  keytabKvnos: number[];
  /** What was done and what it said, one line each. */
  detail: string[];
  fix?: string;
}

export interface SpnService {
  build(input: SpnBuildInput): Promise<SpnBuildResult>;
  validate(input: SpnValidateInput): Promise<SpnValidation>;
  /** The user name each product derives from a principal (remove_realm_name, use-name-without-realm …). */
  mapName(input: { principal: string }): Promise<NameMapping>;
  /** Does the KDC know this SPN, and does this keytab hold its current key? */
  check(input: SpnCheckInput): Promise<SpnCheckResult>;
}
