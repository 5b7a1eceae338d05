/**
 * The real catalog: it covers every failure in ERRORS.md, it is consistent, every example it
 * quotes is diagnosed as its own entry, and messages as other implementations word them (Heimdal,
 * Java GSS/JAAS, Windows events, EMQX, Elasticsearch, KRB5_TRACE) land on the right entry.
 * The MIT texts the lab produces are proven in test/integration/diagnose-scenarios.test.ts, where
 * they are captured from real runs.
 */
import { describe, expect, it } from 'vitest';
import { CATALOG, catalogEntry, catalogProblems } from '../../../main/diagnose/catalog';
import { comErrCode } from '../../../main/diagnose/com-err';
import type { Exchange } from '../../../main/exchange/model';
import { observeExchange, observeText } from '../../../main/diagnose/observations';
import { SCENARIOS } from '../../../main/diagnose/scenarios';
import { diagnoseObservations } from '../../../main/diagnose/diagnosis';

const top = (text: string) => diagnoseObservations(observeText(text))[0]?.id;

/** One entry per row of ERRORS.md, in its order. */
const ERRORS_MD_ROWS = [
  'keytab-no-suitable-keys',
  'keytab-no-matching-entry',
  'keytab-kvno-out-of-date',
  'ticket-kvno-out-of-date',
  'keytab-missing-enctype',
  'keytab-wrong-key',
  'realm-unknown',
  'kdc-unreachable',
  'kdc-host-unresolvable',
  'no-default-realm',
  'preauth-failed',
  'client-unknown',
  'server-unknown',
  'invalid-server-principal-string',
  'etype-no-support',
  'clock-skew',
  'ticket-not-yet-valid',
  'ticket-expired',
  'replay',
  'no-credentials',
  'wrong-principal',
  'message-stream-modified',
  'kdc-reply-modified',
  'password-expired',
  'client-revoked',
  'kdc-bad-option',
  'response-too-big',
  'wrong-realm',
  'java-unsupported-keytype',
  'ntlm-fallback',
  'gss-generic',
];

describe('the catalog', () => {
  it('has an entry for every row of ERRORS.md, and at least 30 in all', () => {
    expect(CATALOG.length).toBeGreaterThanOrEqual(30);
    expect(ERRORS_MD_ROWS.filter((id) => !catalogEntry(id))).toEqual([]);
  });

  it('is consistent: unique ids, related entries exist, patterns compile', () => {
    expect(catalogProblems()).toEqual([]);
    expect(catalogProblems([...CATALOG, CATALOG[0]!])).toEqual([`${CATALOG[0]!.id}: duplicate id`]);
  });

  it('gives every entry a title, an explanation, causes, a fix and a recipe', () => {
    for (const entry of CATALOG) {
      expect(entry.id, entry.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(entry.title.length, entry.id).toBeGreaterThan(10);
      expect(entry.explanation.length, entry.id).toBeGreaterThan(80);
      expect(entry.causes.length, entry.id).toBeGreaterThan(0);
      expect(entry.fixes.length, entry.id).toBeGreaterThan(0);
      expect(entry.reproduce.recipe.length, entry.id).toBeGreaterThan(10);
      expect(entry.matchers.some((m) => m.kind === 'message'), `${entry.id} has a message matcher`).toBe(true);
    }
  });

  it('names MIT, Heimdal, Java, Windows and EMQX wordings, and concrete commands for MIT, AD, Java, EMQX and Elasticsearch', () => {
    const dialects = new Set(CATALOG.flatMap((e) => e.matchers.flatMap((m) => (m.kind === 'message' ? [m.dialect] : []))));
    for (const d of ['MIT', 'Heimdal', 'Java', 'Windows', 'EMQX', 'Elasticsearch'] as const) expect(dialects).toContain(d);
    const platforms = new Set(CATALOG.flatMap((e) => e.fixes.filter((f) => f.commands?.length).map((f) => f.platform)));
    for (const p of ['MIT', 'Active Directory', 'Java', 'EMQX', 'Elasticsearch'] as const) expect(platforms).toContain(p);
  });

  it('takes com_err numbers from MIT\'s table (KRB5KDC_ERR_PREAUTH_FAILED is -1765328360)', () => {
    expect(comErrCode('KRB5KDC_ERR_PREAUTH_FAILED')).toBe(-1765328360);
    expect(comErrCode('KRB5_KT_NOTFOUND')).toBe(-1765328203);
    expect(comErrCode('KRB5_KDC_UNREACH')).toBe(-1765328228);
    for (const entry of CATALOG) for (const m of entry.matchers) if (m.kind === 'com-err') expect(comErrCode(m.name), m.name).toBe(m.code);
  });

  it('names a scenario only where one exists, and every scenario\'s entry names it back (or another scenario of the same failure)', () => {
    const scenarioIds = new Set(SCENARIOS.map((s) => s.id));
    for (const entry of CATALOG) if (entry.reproduce.scenario) expect(scenarioIds, entry.id).toContain(entry.reproduce.scenario);
    // An entry names one scenario; an AD scenario of a failure the MIT lab reproduces too leaves it the MIT one.
    const expects = new Map(SCENARIOS.map((s) => [s.id, s.expects]));
    for (const scenario of SCENARIOS) expect(expects.get(catalogEntry(scenario.expects)?.reproduce.scenario ?? ''), scenario.id).toBe(scenario.expects);
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(12);
  });
});

describe('every example the catalog quotes is diagnosed as its own entry', () => {
  const examples = CATALOG.flatMap((entry) =>
    entry.matchers.flatMap((m) => (m.kind === 'message' && m.example ? [{ id: entry.id, dialect: m.dialect, pattern: m.pattern, example: m.example }] : [])),
  );
  it.each(examples)('$id ← $dialect: $example', ({ id, pattern, example }) => {
    expect(new RegExp(pattern, 'i').test(example)).toBe(true);
    expect(top(example)).toBe(id);
  });
});

/**
 * Wordings from other implementations, written as they print them (not taken from the catalog's
 * own examples): a change to a pattern that loses one of these fails here.
 */
const FOREIGN: [dialect: string, text: string, expected: string][] = [
  // Heimdal kinit / gss
  ['Heimdal', 'kinit: krb5_get_init_creds: Preauthentication failed', 'preauth-failed'],
  ['Heimdal', 'kinit: krb5_get_init_creds: Client (nosuch@EXAMPLE.COM) unknown', 'client-unknown'],
  ['Heimdal', 'kinit: krb5_get_init_creds: unable to reach any KDC in realm EXAMPLE.COM', 'kdc-unreachable'],
  ['Heimdal', 'kinit: krb5_get_init_creds: Clock skew too great', 'clock-skew'],
  // Java GSS / JAAS (sun.security.krb5 messages with the KRB error code in parentheses)
  ['Java', 'javax.security.auth.login.LoginException: Pre-authentication information was invalid (24)', 'preauth-failed'],
  ['Java', 'javax.security.auth.login.LoginException: Client not found in Kerberos database (6)', 'client-unknown'],
  ['Java', 'GSSException: No valid credentials provided (Mechanism level: Server not found in Kerberos database (7) - LOOKING_UP_SERVER)', 'server-unknown'],
  ['Java', 'GSSException: Failure unspecified at GSS-API level (Mechanism level: Clock skew too great (37))', 'clock-skew'],
  ['Java', 'GSSException: Failure unspecified at GSS-API level (Mechanism level: Checksum failed)', 'java-checksum-failed'],
  ['Java', 'GSSException: Failure unspecified at GSS-API level (Mechanism level: Specified version of key is not available (44))', 'keytab-kvno-out-of-date'],
  ['Java', 'GSSException: Failure unspecified at GSS-API level (Mechanism level: Request is a replay (34))', 'replay'],
  ['Java', 'KrbException: Cannot locate default realm', 'no-default-realm'],
  ['Java', 'KrbException: Found unsupported keytype (18)', 'java-unsupported-keytype'],
  ['Java', 'javax.security.auth.login.LoginException: KDC has no support for encryption type (14)', 'etype-no-support'],
  ['Java', 'javax.security.auth.login.LoginException: Unable to obtain password from user', 'java-unable-to-obtain-password'],
  ['Java', 'javax.security.auth.login.LoginException: Receive timed out', 'kdc-unreachable'],
  ['Java', 'javax.security.auth.login.LoginException: Clients credentials have been revoked (18)', 'client-revoked'],
  ['Java', 'javax.security.auth.login.LoginException: Password has expired - change password to continue (23)', 'password-expired'],
  ['Java', 'GSSException: No valid credentials provided (Mechanism level: Failed to find any Kerberos tgt)', 'no-credentials'],
  // Windows Security events: 4771 Kerberos pre-authentication failed, 4768 TGT request, 4769 service ticket
  ['Windows', 'Kerberos pre-authentication failed.\n  Account Name: alice\n  Failure Code: 0x18\n  Pre-Authentication Type: 2', 'preauth-failed'],
  ['Windows', 'A Kerberos authentication ticket (TGT) was requested.\n  Account Name: nosuch\n  Result Code: 0x6', 'client-unknown'],
  ['Windows', 'A Kerberos service ticket was requested.\n  Service Name: HTTP/web.example.com\n  Failure Code: 0x7', 'server-unknown'],
  ['Windows', 'Kerberos pre-authentication failed.\n  Failure Code: 0x25', 'clock-skew'],
  ['Windows', 'A Kerberos authentication ticket (TGT) was requested.\n  Result Code: 0x12', 'client-revoked'],
  ['Windows', 'A Kerberos service ticket was requested.\n  Failure Code: 0xE', 'etype-no-support'],
  // EMQX
  ['EMQX', '2026-11-20T10:00:00 [error] msg: kerberos_init_failed, reason: "Resource temporarily unavailable"', 'kdc-unreachable'],
  // KRB5_TRACE lines: the com_err code decides
  ['MIT trace', '[4242] 1763630000.123456: Received error from KDC: -1765328360/Preauthentication failed', 'preauth-failed'],
  ['MIT trace', '[4242] 1763630000.123456: Received error from KDC: -1765328378/Client not found in Kerberos database', 'client-unknown'],
  // MIT, wrapped by SASL: the minor status wins over the wrapper
  ['Cyrus SASL', 'SASL(-1): generic failure: GSSAPI Error: Unspecified GSS failure.  Minor code may provide more information (Clock skew too great)', 'clock-skew'],
];

describe('messages as other implementations word them', () => {
  it.each(FOREIGN)('%s: %s → %s', (_dialect, text, expected) => {
    expect(top(text)).toBe(expected);
  });

  it('leaves a wrapper message alone as gss-generic, and finds nothing in text that is not about Kerberos', () => {
    expect(top('Unspecified GSS failure.  Minor code may provide more information')).toBe('gss-generic');
    expect(diagnoseObservations(observeText('the quick brown fox jumps over the lazy dog'))).toEqual([]);
  });
});

describe('hostile input', () => {
  it('reads a huge paste, binary noise and pathological lines without throwing, quoting at most 400 characters a line', () => {
    const noise = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 256)).toString('latin1');
    const text = [
      `kinit: Keytab contains no suitable keys for ${'a/'.repeat(200_000)}@X while getting initial credentials`,
      noise,
      'Request ticket server '.repeat(50_000),
      ...Array.from({ length: 20_000 }, (_, i) => `[${i}] 1.${i}: Resolving hostname h${i}`),
      "kinit: Cannot contact any KDC for realm 'R' while getting initial credentials",
    ].join('\n');
    const findings = diagnoseObservations(observeText(text));
    expect(findings[0]!.id).toBe('keytab-no-suitable-keys');
    for (const f of findings) for (const e of f.evidence) expect(e.text.length).toBeLessThanOrEqual(401);
  });

  it('quotes at most 20 pieces of evidence however often a line repeats, and says how many more', () => {
    const text = Array.from({ length: 3000 }, (_, i) => `attempt ${i}: Clock skew too great`).join('\n');
    const [top] = diagnoseObservations(observeText(text));
    expect(top!.id).toBe('clock-skew');
    expect(top!.evidence).toHaveLength(21);
    expect(top!.evidence.at(-1)).toEqual({ source: 'and more', text: '2980 more lines like these' });
  });
});

describe('where a failure happened decides between look-alike entries', () => {
  const failed = (role: 'client' | 'server', tokenSent: boolean): Exchange => ({
    id: 'x',
    source: 'sasl',
    role,
    mechanism: 'GSSAPI',
    startedAt: '2026-11-22T00:00:00.000Z',
    steps: [
      {
        index: 0,
        direction: 'client-to-server',
        at: '2026-11-22T00:00:00.000Z',
        elapsedMs: 0,
        transport: { protocol: 'sasl', packet: tokenSent ? 'initial response' : 'abort' },
        ...(tokenSent ? { token: 'YIIC' } : {}),
        error: 'Unspecified GSS failure.  Minor code may provide more information: Ticket expired',
      },
    ],
    verdict: { outcome: 'failure', reason: 'Unspecified GSS failure.  Minor code may provide more information: Ticket expired' },
  });

  it('"Ticket expired" in a client that never sent a token: its TGT expired', () => {
    expect(diagnoseObservations(observeExchange(failed('client', false)))[0]!.id).toBe('tgt-expired');
  });

  it('"Ticket expired" from the service that got the token: the service ticket expired', () => {
    expect(diagnoseObservations(observeExchange(failed('server', true)))[0]!.id).toBe('ticket-expired');
    expect(diagnoseObservations(observeExchange(failed('client', true)))[0]!.id).toBe('ticket-expired');
  });
});

