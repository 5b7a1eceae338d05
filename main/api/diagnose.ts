/**
 * The `diagnose` service: Kerberos failures mapped to causes and fixes. Three inputs — a pasted
 * error message or log excerpt, a failed Exchange, or "check my setup" for a profile and service
 * principal — one output: findings ranked best first, each with the evidence that led to it.
 * Scenarios reproduce catalog entries against the lab realm and check the diagnosis names them.
 */
import type { Exchange } from '../exchange/model';

/** Who words a message this way: diagnosis matches each implementation's own text. */
export type Dialect = 'MIT' | 'Heimdal' | 'Java' | 'Windows' | 'EMQX' | 'Elasticsearch' | 'Hazelcast' | 'Cyrus SASL' | 'MQTT' | 'kbench';

/** Where a fix applies; 'any' when it is the same everywhere. */
export type FixPlatform = 'any' | 'MIT' | 'Active Directory' | 'Java' | 'EMQX' | 'Elasticsearch' | 'Hazelcast' | 'Heimdal';

export interface CatalogFix {
  platform: FixPlatform;
  /** What to do, in a sentence. */
  text: string;
  /** Commands to copy, one per line, with placeholders in CAPITALS (PRINCIPAL, REALM, KEYTAB …). */
  commands?: string[];
}

/** What identifies an entry in an error text, an Exchange or a trace. */
export type CatalogMatcher =
  /** A message as some implementation words it; `pattern` is a case-insensitive regular expression source. */
  | { kind: 'message'; dialect: Dialect; pattern: string; example?: string }
  /** A KRB-ERROR error-code (RFC 4120 §7.5.9), e.g. 24 for KDC_ERR_PREAUTH_FAILED. */
  | { kind: 'krb-error'; code: number }
  /** An MIT com_err code as KRB5_TRACE and klist print it, e.g. -1765328360 (KRB5KDC_ERR_PREAUTH_FAILED). */
  | { kind: 'com-err'; code: number; name: string }
  /** A GSS major status by its RFC 2744 name (GSS_S_NO_CRED …), optionally with a minor text pattern. */
  | { kind: 'gss'; major: string; minor?: string }
  /** An MQTT 5 reason code (only meaningful together with another matcher of the same entry). */
  | { kind: 'mqtt-reason'; code: number };

export interface CatalogEntry {
  /** Stable, kebab-case: "keytab-no-suitable-keys". */
  id: string;
  title: string;
  /** One paragraph: what is going on, for someone who has never seen it. */
  explanation: string;
  matchers: CatalogMatcher[];
  /** Usual causes, most likely first. */
  causes: string[];
  fixes: CatalogFix[];
  /** How to make it happen on purpose (against a throwaway MIT realm); `scenario` when the bench can run it. */
  reproduce: { recipe: string; scenario?: string };
  /** Entries often confused with this one. */
  related?: string[];
  /**
   * More general entries this one is a specific cause of ("KDC host does not resolve" refines
   * "cannot contact any KDC"): when both match, the general one's evidence supports this one too.
   */
  refines?: string[];
}

export interface FindingEvidence {
  /** Where it was seen: "the pasted text, line 3", "step 2 (AUTH) trace", "krb5.conf [realms]" … */
  source: string;
  /** What was seen, quoted. */
  text: string;
  /** The step of the diagnosed Exchange it quotes (0-based index into its steps), when it quotes one. */
  step?: number;
}

export interface Finding {
  /** A catalog entry id, or an environment check id ("env.clock-skew"). */
  id: string;
  title: string;
  /** 0..1: how sure the diagnosis is that this is the cause. */
  confidence: number;
  /** The cause in words, specific to what was seen where possible. */
  cause: string;
  /** The fix in words; `commands` to copy. */
  fix: string;
  commands?: string[];
  evidence: FindingEvidence[];
  /** Scenario that reproduces it in the lab, when there is one. */
  scenario?: string;
}

export interface DiagnosisInput {
  /** A pasted error message or log excerpt. */
  message?: string;
  /** A failed Exchange (broker, probe, SASL, capture). */
  exchange?: Exchange;
  /**
   * "Check my setup": a profile — the lab, the system defaults, or custom paths — and the service
   * principal clients ask for; `keytab` is the acceptor's keytab to check (default: the profile's).
   */
  setup?: { profile: 'lab' | 'system' | 'custom'; /** With profile lab: which lab realm (default BENCH.TEST; AD.TEST is the AD lab). */ realm?: string; krb5Config?: string; ccache?: string; keytab?: string; principal?: string };
}

/**
 * One value a setup check measured or read, shown even when the check passes ("show its work"):
 * `{ label: 'round trip', value: 0.8, unit: 'ms', note: 'UDP 127.0.0.1:88' }`.
 */
export interface SetupMeasurement {
  label: string;
  /** A number when it is a quantity (ms, s, kvno, a count), else the text as read. */
  value: number | string;
  unit?: string;
  /** What the value is relative to: "limit 300 s", "KDC ahead of this host", where it was read. */
  note?: string;
}

/** One check of "check my setup": what was looked at, its verdict, and what it measured. */
export interface SetupCheck {
  /** "kdc-udp:127.0.0.1:88", "clock-skew", "keytab-kvno" …: the part before ':' names the check. */
  id: string;
  /** The check in words: "KDC over UDP (127.0.0.1:88)". */
  title: string;
  ok: boolean;
  /** The verdict in one line, with where each value came from. */
  detail: string;
  elapsedMs: number;
  /** Empty when the check could not measure anything (it says why in `detail`). */
  measured: SetupMeasurement[];
}

export interface Diagnosis {
  /** Best first. Empty when nothing matched: `summary` says so and what to try. */
  findings: Finding[];
  summary: string;
  elapsedMs: number;
  /** For a setup check only: every check that ran, in a fixed order, passing ones included. */
  checks?: SetupCheck[];
}

export interface ScenarioInfo {
  id: string;
  title: string;
  /** The catalog entry the diagnosis must put first. */
  expects: string;
  /** What the scenario breaks and what it runs, in words. */
  description: string;
}

export interface ScenarioResult {
  id: string;
  passed: boolean;
  /** The real error the broken flow produced, as captured. */
  error: string;
  /** The id of the top finding, or null when there was none. */
  topFinding: string | null;
  findings: Finding[];
  /** Why it failed, when it did (wrong top finding, the flow did not fail, the lab could not be restored …). */
  problem?: string;
  elapsedMs: number;
}

export interface DiagnoseService {
  /** Ranked findings for a message, an Exchange, a setup — or several at once. */
  diagnose(input: DiagnosisInput): Promise<Diagnosis>;
  /** The whole catalog. */
  catalog(): Promise<CatalogEntry[]>;
  scenarios(): Promise<ScenarioInfo[]>;
  /** Breaks the lab realm one way, runs the real flow, diagnoses the real error, restores the lab. */
  runScenario(input: { id: string }): Promise<ScenarioResult>;
}
