/**
 * The matching engine on a small catalog of its own (the real catalog has its own tests): what
 * counts as evidence, how confidence adds up, why a specific wording beats a generic one, and
 * what a finding carries (fix for the dialect seen, placeholders filled, the scenario).
 */
import { describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../../../main/api/diagnose';
import type { Exchange } from '../../../main/exchange/model';
import { matchCatalog } from '../../../main/diagnose/match';
import { observeExchange, observeText } from '../../../main/diagnose/observations';

const entry = (id: string, over: Partial<CatalogEntry>): CatalogEntry => ({
  id,
  title: id,
  explanation: `${id} explained`,
  matchers: [],
  causes: [`cause of ${id}`],
  fixes: [{ platform: 'any', text: `fix ${id}` }],
  reproduce: { recipe: 'somehow' },
  ...over,
});

const CATALOG: CatalogEntry[] = [
  entry('gss-generic', { matchers: [{ kind: 'message', dialect: 'MIT', pattern: 'Unspecified GSS failure' }] }),
  entry('not-in-keytab', { matchers: [{ kind: 'message', dialect: 'MIT', pattern: 'not found in keytab' }] }),
  entry('keytab-out-of-date', {
    matchers: [
      { kind: 'message', dialect: 'MIT', pattern: 'Request ticket server \\S+ kvno \\d+ not found in keytab; keytab is likely out of date' },
      { kind: 'com-err', code: -1765328340, name: 'KRB5KRB_AP_ERR_BADKEYVER' },
      { kind: 'krb-error', code: 44 },
      { kind: 'message', dialect: 'Java', pattern: 'Specified version of key is not available \\(44\\)' },
      { kind: 'mqtt-reason', code: 0x87 },
    ],
    causes: ['the service key was rotated', 'the keytab was exported before'],
    fixes: [
      { platform: 'MIT', text: 'export a fresh keytab', commands: ['kadmin.local -q "ktadd -k KEYTAB -norandkey PRINCIPAL"'] },
      { platform: 'Java', text: 'point the JAAS keyTab at the fresh file' },
    ],
    reproduce: { recipe: 'rotate, keep the old keytab', scenario: 'stale-keytab' },
  }),
  entry('preauth-failed', {
    matchers: [
      { kind: 'message', dialect: 'MIT', pattern: 'Password incorrect' },
      { kind: 'krb-error', code: 24 },
    ],
  }),
];

const STALE = 'Request ticket server mqtt/localhost@BENCH.TEST kvno 3 not found in keytab; keytab is likely out of date';

describe('matchCatalog', () => {
  it('ranks the specific wording above a generic one it contains, and the GSS wrapper last', () => {
    const findings = matchCatalog(CATALOG, observeText(`Unspecified GSS failure.  Minor code may provide more information: ${STALE}`));
    expect(findings.map((f) => f.id)).toEqual(['keytab-out-of-date', 'not-in-keytab', 'gss-generic']);
    expect(findings[0]!.confidence).toBeGreaterThan(findings[1]!.confidence);
    expect(findings[2]!.confidence).toBeLessThan(0.35);
  });

  it('adds independent evidence up (noisy-or), never past 0.97; the same text twice counts once', () => {
    const once = matchCatalog(CATALOG, observeText(STALE))[0]!;
    const twice = matchCatalog(CATALOG, observeText(`${STALE}\n${STALE}`))[0]!;
    expect(twice.confidence).toBe(once.confidence);
    const withCode = matchCatalog(CATALOG, observeText(`[1234] 1795328651.419131: ${STALE.replace('Request', 'Result: -1765328340/Request')}\nKRB_AP_ERR_BADKEYVER`))[0]!;
    expect(withCode.id).toBe('keytab-out-of-date');
    expect(withCode.confidence).toBeGreaterThan(once.confidence);
    expect(withCode.confidence).toBeLessThanOrEqual(0.97);
  });

  it('an MQTT reason code alone is no finding; it only supports one', () => {
    expect(matchCatalog(CATALOG, observeText('CONNACK 0x87 Not Authorized'))).toEqual([]);
    const supported = matchCatalog(CATALOG, observeText(`${STALE}\nCONNACK 0x87 Not Authorized`))[0]!;
    expect(supported.evidence.map((e) => e.text)).toContain('CONNACK 0x87 Not Authorized');
  });

  it('fills PRINCIPAL from the evidence, picks the fix of the dialect seen, and names the scenario', () => {
    const mit = matchCatalog(CATALOG, observeText(STALE))[0]!;
    expect(mit.fix).toBe('export a fresh keytab');
    expect(mit.commands).toEqual(['kadmin.local -q "ktadd -k KEYTAB -norandkey mqtt/localhost@BENCH.TEST"']);
    expect(mit.cause).toBe('Most likely: the service key was rotated. Also possible: the keytab was exported before.');
    expect(mit.scenario).toBe('stale-keytab');
    const java = matchCatalog(CATALOG, observeText('GSSException: Failure unspecified at GSS-API level (Mechanism level: Specified version of key is not available (44))'))[0]!;
    expect(java).toMatchObject({ id: 'keytab-out-of-date', fix: 'point the JAAS keyTab at the fresh file' });
  });

  it('reads Windows event failure codes and protocol names as KRB-ERROR codes', () => {
    expect(matchCatalog(CATALOG, observeText('A Kerberos pre-authentication failed.\n  Failure Code: 0x18'))[0]!.id).toBe('preauth-failed');
    expect(matchCatalog(CATALOG, observeText('error: KDC_ERR_PREAUTH_FAILED'))[0]!.id).toBe('preauth-failed');
  });

  it('quotes where each piece of evidence was seen (line numbers in a pasted log)', () => {
    const finding = matchCatalog(CATALOG, observeText(`some line\nkinit: Password incorrect while getting initial credentials`))[0]!;
    expect(finding.evidence[0]).toEqual({ source: 'the pasted text, line 2', text: 'kinit: Password incorrect while getting initial credentials' });
  });

  it('finds nothing in unrelated text, and survives hostile input', () => {
    expect(matchCatalog(CATALOG, observeText('all good here\n\n'))).toEqual([]);
    expect(() => matchCatalog(CATALOG, observeText('\u0000'.repeat(10_000) + 'x'.repeat(100_000)))).not.toThrow();
    const broken = [entry('bad-regex', { matchers: [{ kind: 'message', dialect: 'MIT', pattern: '(' }] })];
    expect(matchCatalog(broken, observeText('('))).toEqual([]);
  });
});

describe('observeExchange', () => {
  const exchange: Exchange = {
    id: 'x',
    source: 'broker',
    role: 'server',
    mechanism: 'GSSAPI-KERBEROS',
    startedAt: '2026-11-22T00:00:00.000Z',
    steps: [
      {
        index: 0,
        direction: 'client-to-server',
        at: '2026-11-22T00:00:00.000Z',
        elapsedMs: 0,
        transport: { protocol: 'mqtt', packet: 'CONNECT' },
        token: '',
        trace: [`[99] 1795328651.419131: Result of acceptor: -1765328340/${STALE}`],
        error: STALE,
      },
      {
        index: 1,
        direction: 'server-to-client',
        at: '2026-11-22T00:00:00.000Z',
        elapsedMs: 1,
        transport: { protocol: 'mqtt', packet: 'CONNACK', fields: { reasonCode: '0x87 Not Authorized' } },
        decoded: { name: 'KRB-ERROR', type: 'KRB-ERROR', offset: 0, length: 10, children: [{ name: 'error-code', type: 'Int32', offset: 2, length: 3, value: 44 }] },
      },
    ],
    verdict: { outcome: 'failure', reason: STALE, code: '0x87 Not Authorized' },
  };

  it('gathers the verdict, step errors, trace codes, KRB-ERROR tokens and reason codes, each with its place', () => {
    const observations = observeExchange(exchange);
    expect(observations).toEqual(
      expect.arrayContaining([
        { kind: 'message', text: STALE, source: "the broker Exchange's verdict" },
        { kind: 'com-err', code: -1765328340, text: `Result of acceptor: -1765328340/${STALE}`, source: 'step 1 (CONNECT) KRB5_TRACE', trace: true, step: 0 },
        { kind: 'krb-error', code: 44, text: 'KRB-ERROR error-code 44 (KRB_AP_ERR_BADKEYVER)', source: 'step 2 (CONNACK) token', step: 1 },
        { kind: 'mqtt-reason', code: 0x87, text: 'CONNACK 0x87 Not Authorized', source: 'step 2 (CONNACK)', step: 1 },
      ]),
    );
    const [top] = matchCatalog(CATALOG, observations);
    expect(top!.id).toBe('keytab-out-of-date');
    expect(top!.confidence).toBeGreaterThan(0.9);
    // Evidence quoted from a step says which (the Diagnose view links it to the step); the verdict's does not.
    expect(top!.evidence).toEqual(
      expect.arrayContaining([
        { source: 'step 2 (CONNACK) token', text: 'KRB-ERROR error-code 44 (KRB_AP_ERR_BADKEYVER)', step: 1 },
        { source: "the broker Exchange's verdict", text: STALE },
      ]),
    );
  });

  it('caps a finding seen only in trace lines below the reported error: MIT traces non-fatal errors on the way', () => {
    const text = [
      "[1] 1795336404.337195: Couldn't lookup etypes in keytab: 2/Key table file '/etc/krb5/user/0/client.keytab' not found in keytab",
      'GSSException: Failure unspecified at GSS-API level (Mechanism level: Specified version of key is not available (44))',
    ].join('\n');
    const findings = matchCatalog(CATALOG, observeText(text));
    expect(findings[0]!.id).toBe('keytab-out-of-date');
    const traced = findings.find((f) => f.id === 'not-in-keytab')!;
    expect(traced.confidence).toBeLessThanOrEqual(0.5);
    // The same words as the reported error are not capped.
    expect(matchCatalog(CATALOG, observeText('principal not found in keytab'))[0]!.confidence).toBeGreaterThan(0.5);
  });
});

describe('a specific cause refining a general failure', () => {
  const general = entry('kdc-unreachable', { matchers: [{ kind: 'message', dialect: 'MIT', pattern: 'Cannot contact any KDC for realm' }] });
  const specific = entry('kdc-host-unresolvable', { refines: ['kdc-unreachable'], matchers: [{ kind: 'message', dialect: 'kbench', pattern: 'KDC host \\S+ did not resolve' }] });

  it('inherits the general evidence when it has evidence of its own, and then ranks first', () => {
    const trace = ['[7] 1795336404.1: Sending request (191 bytes) to R', '[7] 1795336404.2: Resolving hostname kdc.nosuch.invalid', "kinit: Cannot contact any KDC for realm 'R' while getting initial credentials"].join('\n');
    const findings = matchCatalog([general, specific], observeText(trace));
    expect(findings.map((f) => f.id)).toEqual(['kdc-host-unresolvable', 'kdc-unreachable']);
    expect(findings[0]!.evidence.map((e) => e.text)).toEqual([expect.stringContaining('did not resolve'), expect.stringContaining('Cannot contact any KDC')]);
  });

  it('stays out when only the general failure is seen (the host was contacted)', () => {
    const trace = ['[7] 1795336404.2: Resolving hostname kdc.example.com', '[7] 1795336404.3: Sending initial UDP request to dgram 10.0.0.1:88', "kinit: Cannot contact any KDC for realm 'R' while getting initial credentials"].join('\n');
    expect(matchCatalog([general, specific], observeText(trace)).map((f) => f.id)).toEqual(['kdc-unreachable']);
  });
});
