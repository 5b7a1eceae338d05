/**
 * Java's texts in the diagnosis catalog: each row of FACTS.md's "Exact Java texts" table (JDK 17
 * JAAS/GSS against an MIT KDC), written as the Java worker reports a failure — the exception's
 * simple name and message, then each cause that adds something, joined with " ← " — lands on the
 * entry that explains it, Java-specific where Java's meaning or fix differs. These inputs test the
 * matching; the texts themselves are captured live in test/integration/diagnose-java-scenarios.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CATALOG, catalogEntry } from '../../../main/diagnose/catalog';
import { JAVA_ENTRIES, JAVA_WORDINGS, withJavaWordings } from '../../../main/diagnose/catalog/java';
import { observeExchange, observeText } from '../../../main/diagnose/observations';
import { JAVA_SCENARIOS } from '../../../main/diagnose/java-scenarios';
import { diagnoseObservations } from '../../../main/diagnose/diagnosis';
import type { Exchange } from '../../../main/exchange/model';

const ranked = (text: string) => diagnoseObservations(observeText(text)).map((f) => f.id);
const top = (text: string) => ranked(text)[0];

/** FACTS.md's table, row by row: [case, Java's text, the entry that must come first]. */
const FACTS_ROWS: [string, string, string][] = [
  ['wrong key / password', 'LoginException: Pre-authentication information was invalid (24) - PREAUTH_FAILED', 'preauth-failed'],
  ['unknown client', 'LoginException: Client not found in Kerberos database (6) - CLIENT_NOT_FOUND', 'client-unknown'],
  ['principal not in keytab / keytab missing', 'LoginException: Unable to obtain password from user', 'java-unable-to-obtain-password'],
  ['KDC down over TCP', 'LoginException: Connection refused ← ConnectException: Connection refused', 'kdc-unreachable'],
  ['KDC down over UDP', 'LoginException ← PortUnreachableException: ICMP Port Unreachable', 'kdc-unreachable'],
  ['KDC hangs', 'LoginException: Receive timed out ← SocketTimeoutException: Receive timed out', 'kdc-unreachable'],
  ['clock skew at login', 'LoginException: Clock skew too great (37) - PROCESS_TGS', 'clock-skew'],
  ['clock skew at the acceptor', 'GSSException: Failure unspecified at GSS-API level (Mechanism level: Clock skew too great (37))', 'clock-skew'],
  [
    'acceptor keytab lacks the name',
    'GSSException: Failure unspecified at GSS-API level (Mechanism level: Invalid argument (400) - Cannot find key of appropriate type to decrypt AP-REQ - AES256 CTS mode with HMAC SHA1-96)',
    'keytab-missing-enctype',
  ],
  ['wrong service / stale kvno with principal="*"', 'GSSException: Failure unspecified at GSS-API level (Mechanism level: Checksum failed)', 'java-checksum-failed'],
  ['rc4-only service keytab', 'GSSException: Failure unspecified at GSS-API level (Mechanism level: Encryption type RC4 with HMAC is not supported/enabled)', 'java-weak-enctype-disabled'],
  ['replay', 'GSSException: Failure unspecified at GSS-API level (Mechanism level: Request is a replay (34))', 'replay'],
  ['no usable acceptor credentials', 'GSSException: No valid credentials provided (Mechanism level: Failed to find any Kerberos credentials)', 'java-acceptor-no-credentials'],
  ['unknown SPN', 'GSSException: No valid credentials provided (Mechanism level: Server not found in Kerberos database (7) - LOOKING_UP_SERVER)', 'server-unknown'],
  ['AS-REP realm case changed', 'LoginException: Message stream modified (41)', 'kdc-reply-modified'],
  ['garbage token (NTLM in Negotiate)', 'GSSException: Defective token detected (Mechanism level: GSSHeader did not find the right tag)', 'ntlm-fallback'],
];

describe("FACTS.md's Java texts", () => {
  it.each(FACTS_ROWS)('%s → %s', (_case, text, expected) => {
    expect(top(text)).toBe(expected);
    // Fully qualified, as a stack trace or an Elasticsearch log prints them.
    expect(top(text.replace(/^LoginException/, 'javax.security.auth.login.LoginException').replace(/^GSSException/, 'org.ietf.jgss.GSSException'))).toBe(expected);
  });

  it('a garbage token also offers the general "not a valid token" entry', () => {
    expect(ranked('GSSException: Defective token detected (Mechanism level: GSSHeader did not find the right tag)')).toContain('defective-token');
  });

  it('Java\'s other login texts: principal="*" with isInitiator=true, and a ticket cache that is not there', () => {
    expect(top('javax.security.auth.login.LoginException: Configuration Error - principal cannot be * when isInitiator is true')).toBe('java-acceptor-is-initiator');
    expect(top('javax.security.auth.login.LoginException: Unable to obtain Principal Name for authentication')).toBe('no-credentials');
  });

  it('a client login failing with "Checksum failed" stays a wrong password, not the acceptor\'s stale key', () => {
    expect(top('javax.security.auth.login.LoginException: Checksum failed ← KrbException: Checksum failed ← GeneralSecurityException: Checksum failed')).toBe('preauth-failed');
  });

  it('the Java entries give JAAS options and Elasticsearch settings in their fixes', () => {
    const fixes = (id: string) => JSON.stringify(catalogEntry(id)!.fixes);
    expect(fixes('java-acceptor-is-initiator')).toMatch(/isInitiator=false/);
    expect(fixes('java-acceptor-is-initiator')).toMatch(/storeKey=true/);
    expect(fixes('java-acceptor-no-credentials')).toMatch(/principal=\\"\*\\"/);
    expect(fixes('java-unable-to-obtain-password')).toMatch(/klist -kte/);
    expect(fixes('java-checksum-failed')).toMatch(/kvno HTTP\//);
    expect(fixes('java-weak-enctype-disabled')).toMatch(/allow_weak_crypto = true/);
    for (const entry of JAVA_ENTRIES) expect(JSON.stringify(entry.fixes), entry.id).toMatch(/xpack\.security\.authc\.realms\.kerberos|sun\.security\.krb5\.debug/);
  });
});

/** The failing step of a Java acceptor's Exchange: Java's error, its debug lines as the trace. */
function javaAcceptorExchange(error: string, trace: string[]): Exchange {
  const at = new Date(0).toISOString();
  return {
    id: 'x',
    source: 'http',
    role: 'server',
    mechanism: 'Negotiate',
    startedAt: at,
    steps: [{ index: 0, direction: 'client-to-server', at, elapsedMs: 0, transport: { protocol: 'gss', packet: 'SPNEGO initial token' }, token: 'YII=', error, trace }],
    verdict: { outcome: 'failure', reason: error },
  };
}

// sun.security.krb5.debug and JAAS debug=true lines as JDK 17.0.15 prints them (captured on this machine, names shortened).
const JAAS_DEBUG_INITIATOR_SERVICE =
  'Debug is  true storeKey true useTicketCache false useKeyTab true doNotPrompt true ticketCache is null isInitiator true KeyTab is /tmp/lab/mqtt.keytab refreshKrb5Config is false principal is mqtt/localhost@JD.TEST tryFirstPass is false useFirstPass is false storePass is false clearPass is false';
const JAAS_DEBUG_ACCEPTOR =
  'Debug is  true storeKey true useTicketCache false useKeyTab true doNotPrompt true ticketCache is null isInitiator false KeyTab is /tmp/lab/mqtt.keytab refreshKrb5Config is false principal is * tryFirstPass is false useFirstPass is false storePass is false clearPass is false';
const JAAS_DEBUG_USER =
  'Debug is  true storeKey false useTicketCache false useKeyTab true doNotPrompt true ticketCache is null isInitiator true KeyTab is /tmp/lab/alice.keytab refreshKrb5Config is false principal is alice@JD.TEST tryFirstPass is false useFirstPass is false storePass is false clearPass is false';
const KDC_REFUSED = ['>>> KrbAsReq creating message', '>>> KrbKdcReq send: kdc=127.0.0.1 TCP:28917, timeout=30000, number of retries =3, #bytes=158', '>>> KrbKdcReq send: error trying 127.0.0.1:28917'];
const REFUSED = 'LoginException: Connection refused ← ConnectException: Connection refused';

describe('Java failures seen in an Exchange with the debug lines as the trace', () => {
  it('an acceptor whose JAAS login ran as a client while the KDC was down: isInitiator left true', () => {
    const findings = diagnoseObservations(observeExchange(javaAcceptorExchange(REFUSED, [JAAS_DEBUG_INITIATOR_SERVICE, ...KDC_REFUSED])));
    expect(findings[0]).toMatchObject({ id: 'java-acceptor-is-initiator', scenario: 'java-acceptor-is-initiator-kdc-down' });
    expect(findings[0]!.fix).toMatch(/isInitiator=false/);
    expect(findings.map((f) => f.id)).toContain('kdc-unreachable');
  });

  it('a user (no service principal, no stored key) that cannot reach the KDC is just an unreachable KDC', () => {
    expect(diagnoseObservations(observeExchange(javaAcceptorExchange(REFUSED, [JAAS_DEBUG_USER, ...KDC_REFUSED])))[0]!.id).toBe('kdc-unreachable');
    expect(diagnoseObservations(observeExchange(javaAcceptorExchange(REFUSED, KDC_REFUSED)))[0]!.id).toBe('kdc-unreachable');
  });

  it('an RC4 ticket: the JDK 17 entry wins over the general unsupported-keytype one, even with "Found unsupported keytype" in the trace', () => {
    const error = 'GSSException: Failure unspecified at GSS-API level (Mechanism level: Encryption type RC4 with HMAC is not supported/enabled)';
    const trace = [JAAS_DEBUG_ACCEPTOR, 'Looking for keys for: kbench-java/localhost@JD.TEST', 'Found unsupported keytype (23) for kbench-java/localhost@JD.TEST'];
    const findings = diagnoseObservations(observeExchange(javaAcceptorExchange(error, trace)));
    expect(findings.map((f) => f.id).slice(0, 2)).toEqual(['java-weak-enctype-disabled', 'java-unsupported-keytype']);
    expect(findings[0]!.commands?.join('\n')).toMatch(/allow_weak_crypto/);
  });

  it('"Checksum failed" at the acceptor with a stale keytab\'s keys in the trace', () => {
    const trace = [JAAS_DEBUG_ACCEPTOR, 'Looking for keys for: kbench-java/localhost@JD.TEST', 'Found unsupported keytype (23) for kbench-java/localhost@JD.TEST', 'Added key: 18, version: 2'];
    const findings = diagnoseObservations(observeExchange(javaAcceptorExchange('GSSException: Failure unspecified at GSS-API level (Mechanism level: Checksum failed)', trace)));
    expect(findings[0]).toMatchObject({ id: 'java-checksum-failed', scenario: 'java-checksum-failed-stale-kvno' });
    // Java says "Found unsupported keytype" of every rc4 key it skips: routine in a trace, no finding of its own.
    expect(findings.map((f) => f.id)).not.toContain('java-unsupported-keytype');
  });
});

describe('the Java part of the catalog', () => {
  it('is in the catalog, and its wordings joined the entries they name', () => {
    for (const entry of JAVA_ENTRIES) expect(catalogEntry(entry.id), entry.id).toBeDefined();
    for (const [id, matchers] of Object.entries(JAVA_WORDINGS)) {
      const patterns = catalogEntry(id)!.matchers.flatMap((m) => (m.kind === 'message' ? [m.pattern] : []));
      for (const m of matchers) if (m.kind === 'message') expect(patterns, id).toContain(m.pattern);
    }
    expect(CATALOG.filter((e) => e.id.startsWith('java-')).length).toBeGreaterThanOrEqual(JAVA_ENTRIES.length);
  });

  it('refuses a wording for an entry that does not exist, at load time', () => {
    expect(() => withJavaWordings(JAVA_ENTRIES)).toThrow(/kdc-unreachable/);
  });

  it('has a scenario for each Java scenario entry, and each scenario expects a Java entry that names it back', () => {
    expect(JAVA_SCENARIOS.map((s) => s.id).sort()).toEqual(['java-acceptor-is-initiator-kdc-down', 'java-checksum-failed-stale-kvno', 'java-rc4-only-keytab', 'java-unable-to-obtain-password']);
    for (const scenario of JAVA_SCENARIOS) expect(catalogEntry(scenario.expects)?.reproduce.scenario, scenario.id).toBe(scenario.id);
  });
});
