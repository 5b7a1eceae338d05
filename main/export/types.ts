/**
 * How an export target and an importer plug into the export and importer services (STYLE §3.7,
 * "Export"): one module per product under targets/ and import/, each pure where it can be —
 * generate() turns an ExportModel into files; prove() runs them on the real stack.
 */
import type { ExportFile, ExportOptions, ExportProof, ExportResult, ExportTargetInfo, ImportFormat, ImportProblem, ImportSetting, ImportSetup, ImportTestStep, ImportUnused } from '../api/export';
import type { EngineContext } from '../engine/context';
import type { Exchange } from '../exchange/model';
import type { AzureSource } from './azure/source';
import type { GssSupervisor } from '../gss/supervisor';
import type { KerberosProfile } from '../gss/types';
import type { LabStatus } from '../api/lab';
import type { LabServiceImpl } from '../lab/service';

/** A service principal of the model, and its keys for the export's keytab. */
export interface ModelService {
  /** "mqtt/localhost@BENCH.TEST". */
  principal: string;
  /** The host (or, for Hazelcast, the member address) the principal names. */
  host: string;
  /** A keytab on the engine's machine holding its keys (the lab's service keytab, the user's). */
  keytabFile?: string;
  /** The keytab's bytes with this principal's entries only (what the export hands out); absent when there is no keytab. */
  keytab?: Uint8Array;
}

/**
 * Everything a target needs, resolved once by the service (model.ts) from the lab realm, a
 * profile, an Exchange or an imported file. Targets never read files or the lab themselves.
 */
export interface ExportModel {
  realm: string;
  /** "host:port" of each KDC, in order. */
  kdcs: string[];
  adminServer?: string;
  /** The krb5.conf the bench ran with (proofs use it as KRB5_CONFIG). */
  krb5ConfigFile?: string;
  /** [libdefaults] settings the export keeps (enctypes, rdns, dns_canonicalize_hostname … as the Exchange needed them). */
  libdefaults: Record<string, string>;
  domainRealm: { domain: string; realm: string }[];
  /** EMQX / MQTT: mqtt/HOST@REALM. */
  mqtt: ModelService & { url: string };
  /** Elasticsearch, web consoles: HTTP/HOST@REALM. */
  http: ModelService & { url: string };
  /** Hazelcast: hz/ADDRESS@REALM. */
  hazelcast: ModelService;
  /** The user the proofs log in as (alice in the lab): a client keytab or a ccache. */
  client: { principal: string; keytabFile?: string; ccache?: string };
  /** Settings read from the user's own file (importer.read), which win over the defaults. */
  imported?: { format: ImportFormat; file: string; setup: ImportSetup };
  /** The export reproduces this successful Exchange. */
  knownToWork: ExportResult['knownToWork'];
  /** "lab realm BENCH.TEST" … */
  basis: string;
  /** Set when the model comes from a lab realm: proofs may use it. */
  labRealm?: string;
  options: ExportOptions;
  /** What a target's prepare() read from disk for generate() and prove() (an Azure chain YAML and the files beside it). */
  sources?: { azure?: AzureSource };
}

/** What generate() gives: the files (secrets as placeholders unless revealed) and the steps left to the user. */
export interface GeneratedExport {
  files: ExportFile[];
  notes: string[];
}

/** What a proof may use. It runs on the files with their secrets in place, in a private directory. */
export interface ProofContext {
  model: ExportModel;
  /** A 0700 temporary directory holding every generated file (revealed) at its relative path. */
  dir: string;
  files: ExportFile[];
  engine: EngineContext;
  supervisor: () => GssSupervisor;
  lab: LabServiceImpl;
  /** The Kerberos profile of the model's realm (the lab's, or the user's): KRB5_CONFIG, ccache, keytabs. */
  profile: KerberosProfile;
  signal: AbortSignal;
}

export interface ExportTarget {
  info: ExportTargetInfo;
  /** Reads what generate() needs beyond the model (a file the options name) into model.sources; the service calls it once, first. */
  prepare?(model: ExportModel): Promise<ExportModel>;
  /** Pure: the same model gives the same files. */
  generate(model: ExportModel, revealSecrets: boolean): GeneratedExport;
  /** Runs the export on the real stack; every proof says what it ran and what came back. Never throws. */
  prove(context: ProofContext): Promise<ExportProof[]>;
}

/** What an importer reads from one file (and the files it includes). */
export interface ImportReading {
  files: string[];
  understood: ImportSetting[];
  unused: ImportUnused[];
  problems: ImportProblem[];
  setup: ImportSetup;
}

/** The text of the file to import, and where it came from. */
export interface ImportSourceText {
  /** The path on the engine's machine, or the dropped file's name. */
  file: string;
  text: string;
  /** false for a dropped file: includes and relative paths cannot be followed. */
  onDisk: boolean;
}

export interface TestContext {
  engine: EngineContext;
  supervisor: () => GssSupervisor;
  lab: LabServiceImpl;
  /** Against the lab realm (its status, the realm up) or the imported realm as it is (undefined). */
  labStatus?: LabStatus;
  signal: AbortSignal;
}

export interface Importer {
  format: ImportFormat;
  /** Why this file is this format ("a [libdefaults] section"), or null. Used when --as is not given. */
  detect(source: ImportSourceText): string | null;
  /** Never throws for a bad file: problems name file:line and the fix. */
  read(source: ImportSourceText): Promise<ImportReading>;
  /** "Test my config": the real flow for this product, each step with the stack's own text. */
  test(reading: ImportReading, context: TestContext): Promise<{ steps: ImportTestStep[]; against: string; exchange?: Exchange }>;
}
