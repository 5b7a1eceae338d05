/**
 * The chain's order of judgement (Azure IoT MQ): the first relevant method ends it, valid or not;
 * none relevant → denied; authenticationEnabled false → everyone in. The methods here are test
 * doubles of the ChainMethod interface only (the real methods have their own tests, and the
 * broker tests run the chain with the real usernamePassword method and MIT Kerberos).
 */
import { describe, expect, it } from 'vitest';
import { ReasonCode } from '../../../main/broker/auth';
import { AuthChain, completeEnhanced, refusalCode, traceLine, verdictOf } from '../../../main/broker/chain/chain';
import { KerberosChainMethod } from '../../../main/broker/chain/methods/kerberos';
import type { ChainCredentials, ChainMethod, ChainMethodKind, MethodVerdict } from '../../../main/broker/chain/types';

const credentials = (extra: Partial<ChainCredentials> = {}): ChainCredentials => ({
  clientId: 'c1',
  mqttVersion: 5,
  remoteAddress: '127.0.0.1:50000',
  listener: { name: 'tcp://127.0.0.1:1883', protocol: 'tcp' },
  ...extra,
});

/** A method that says what it is told, and counts how often it was asked. */
function double(kind: ChainMethodKind, verdict: MethodVerdict | (() => never)): ChainMethod & { calls: number } {
  const method = {
    kind,
    calls: 0,
    async check(): Promise<MethodVerdict> {
      method.calls++;
      return typeof verdict === 'function' ? verdict() : verdict;
    },
  };
  return method;
}

const notRelevant = (why: string): MethodVerdict => ({ relevant: false, relevantWhy: why });
const valid = (why: string, attributes: Record<string, string> = {}, principal?: string): MethodVerdict => ({ relevant: true, relevantWhy: 'present', valid: true, validWhy: why, attributes, ...(principal ? { principal } : {}) });
const invalid = (why: string): MethodVerdict => ({ relevant: true, relevantWhy: 'present', valid: false, validWhy: why });
const signal = new AbortController().signal;

describe('AuthChain.decide', () => {
  it('relevant and valid: allowed, attributes and principal from the ending method', async () => {
    const chain = new AuthChain({ methods: [double('x509', notRelevant('no TLS client certificate')), double('usernamePassword', valid('password matches', { floor: '1' }, 'client1'))] });
    const decision = await chain.decide(credentials(), signal);
    expect(decision).toMatchObject({ allowed: true, endedBy: 'usernamePassword', attributes: { floor: '1' }, principal: 'client1' });
    expect(decision.trace).toEqual([
      { method: 'x509', relevant: false, why: 'not relevant: no TLS client certificate' },
      { method: 'usernamePassword', relevant: true, valid: true, why: 'relevant: present; valid: password matches', attributes: { floor: '1' } },
    ]);
  });

  it('relevant but invalid stops the chain: a later method that would pass is never asked', async () => {
    const later = double('sat', valid('token ok'));
    const chain = new AuthChain({ methods: [double('usernamePassword', invalid('password does not match')), later] });
    const decision = await chain.decide(credentials(), signal);
    expect(decision).toMatchObject({ allowed: false, endedBy: 'usernamePassword', attributes: {} });
    expect(decision.trace).toHaveLength(1);
    expect(later.calls).toBe(0);
    expect(refusalCode(decision)).toBe(ReasonCode.BadUserNameOrPassword);
  });

  it('nothing relevant: denied, every method in the trace, 0x87', async () => {
    const chain = new AuthChain({ methods: [double('x509', notRelevant('no certificate')), double('custom', notRelevant('server unreachable: ECONNREFUSED'))] });
    const decision = await chain.decide(credentials(), signal);
    expect(decision).toMatchObject({ allowed: false, endedBy: null });
    expect(decision.trace.map((e) => e.relevant)).toEqual([false, false]);
    expect(refusalCode(decision)).toBe(ReasonCode.NotAuthorized);
    expect(decision.reason).toMatch(/no method in the chain is relevant/);
  });

  it('order changes the outcome', async () => {
    const fail = double('custom', invalid('server says no'));
    const pass = double('usernamePassword', valid('password matches'));
    expect((await new AuthChain({ methods: [fail, pass] }).decide(credentials(), signal)).allowed).toBe(false);
    expect((await new AuthChain({ methods: [pass, fail] }).decide(credentials(), signal)).allowed).toBe(true);
  });

  it('authenticationEnabled false: allowed without asking any method, and the reason says so', async () => {
    const method = double('usernamePassword', invalid('x'));
    const decision = await new AuthChain({ methods: [method], authenticationEnabled: false }).decide(credentials(), signal);
    expect(decision).toMatchObject({ allowed: true, endedBy: null, trace: [] });
    expect(decision.reason).toMatch(/authenticationEnabled is false/);
    expect(method.calls).toBe(0);
  });

  it('a method that throws counts as relevant and invalid (fail closed): the chain does not fall through', async () => {
    const later = double('usernamePassword', valid('ok'));
    const decision = await new AuthChain({ methods: [double('x509', () => { throw new Error('boom'); }), later] }).decide(credentials(), signal);
    expect(decision).toMatchObject({ allowed: false, endedBy: 'x509' });
    expect(decision.trace[0]!.why).toMatch(/method error: boom/);
    expect(later.calls).toBe(0);
  });

  it('kerberos: relevant only with GSSAPI-KERBEROS; the decision hands over to the conversation', async () => {
    const chain = new AuthChain({ methods: [double('usernamePassword', notRelevant('no username')), new KerberosChainMethod()] });
    const none = await chain.decide(credentials(), signal);
    expect(none.trace[1]).toEqual({ method: 'kerberos', relevant: false, why: 'not relevant: no Authentication Method in CONNECT' });
    const other = await chain.decide(credentials({ authenticationMethod: 'SCRAM-SHA-1' }), signal);
    expect(other.trace[1]!.why).toMatch(/"SCRAM-SHA-1", not GSSAPI-KERBEROS/);
    const decision = await chain.decide(credentials({ authenticationMethod: 'GSSAPI-KERBEROS' }), signal);
    expect(decision).toMatchObject({ allowed: false, endedBy: 'kerberos', enhanced: 'GSSAPI-KERBEROS' });
    const done = completeEnhanced(decision, { valid: true, why: 'authenticated alice@LAB', principal: 'alice@LAB' });
    expect(done).toMatchObject({ allowed: true, endedBy: 'kerberos', principal: 'alice@LAB' });
    expect(done.trace[1]).toMatchObject({ method: 'kerberos', relevant: true, valid: true });
    expect(done.trace[1]!.why).toBe('relevant: Authentication Method is GSSAPI-KERBEROS; valid: authenticated alice@LAB');
    expect(decision.trace[1]!.valid).toBeUndefined(); // completing copies
    expect(traceLine(done)).toBe('chain[usernamePassword -(no username) > kerberos +/+ > => allowed by kerberos]');
  });

  it('the Exchange verdict has no `enhanced` and copies the attributes', async () => {
    const attributes = { a: '1' };
    const decision = await new AuthChain({ methods: [double('usernamePassword', valid('ok', attributes))] }).decide(credentials(), signal);
    const verdict = verdictOf(decision);
    expect(verdict).not.toHaveProperty('enhanced');
    verdict.attributes.a = '2';
    expect(decision.attributes.a).toBe('1');
    expect(traceLine(verdict)).toBe('chain[usernamePassword +/+ > => allowed by usernamePassword]');
  });
});
