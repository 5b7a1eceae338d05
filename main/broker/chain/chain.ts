/**
 * The chain itself: Azure IoT MQ's order of judgement over a listener's methods. For each method in
 * order, is it RELEVANT to what the client presented? The first relevant one ends the chain, valid
 * or not (a later method that would pass is never asked). None relevant: denied.
 * `authenticationEnabled: false`: everyone in, no method asked.
 *
 * MQTT 5 reason codes for a denial (the spec leaves the choice to the server, §3.2.2.2):
 *   - the ending method judged a User Name and Password (usernamePassword; sat, whose token is
 *     the password) and found it invalid → 0x86 Bad User Name or Password;
 *   - any other invalid method (x509, custom), and no relevant method at all → 0x87 Not Authorized;
 *   - a method that threw (a bug, never the client's input) → counted invalid, 0x87, the trace says so.
 * kerberos is the exception: its validity is the GSSAPI-KERBEROS conversation the gateway runs
 * next, so the chain returns `enhanced` and the gateway completes the last entry (completeEnhanced).
 */
import type { AuthChainVerdict } from '../../exchange/model';
import { ReasonCode } from '../auth';
import type { ChainCredentials, ChainDecision, ChainMethod, ChainMethodKind, ChainTraceEntry, MethodVerdict } from './types';

export interface AuthChainOptions {
  /** In Azure's order (spec.authenticationMethods). */
  methods: ChainMethod[];
  /** BrokerListener spec.authenticationEnabled; default true. */
  authenticationEnabled?: boolean;
  /** The BrokerAuthentication's name, for logs. */
  name?: string;
}

export class AuthChain {
  readonly methods: readonly ChainMethod[];
  readonly authenticationEnabled: boolean;
  readonly name: string | undefined;

  constructor(options: AuthChainOptions) {
    this.methods = [...options.methods];
    this.authenticationEnabled = options.authenticationEnabled ?? true;
    this.name = options.name;
  }

  has(kind: ChainMethodKind): boolean {
    return this.methods.some((m) => m.kind === kind);
  }

  /** Never throws for the client's input; a method that throws counts as relevant and invalid. */
  async decide(credentials: ChainCredentials, signal: AbortSignal): Promise<ChainDecision> {
    if (!this.authenticationEnabled) {
      return { allowed: true, endedBy: null, attributes: {}, trace: [], reason: 'authenticationEnabled is false on this listener: everyone is let in, no method asked' };
    }
    const trace: ChainTraceEntry[] = [];
    for (const method of this.methods) {
      const verdict = await checkSafely(method, credentials, signal);
      if (!verdict.relevant) {
        trace.push({ method: method.kind, relevant: false, why: `not relevant: ${verdict.relevantWhy}` });
        continue;
      }
      if (method.kind === 'kerberos') {
        trace.push({ method: 'kerberos', relevant: true, why: `relevant: ${verdict.relevantWhy}` });
        const enhanced = credentials.authenticationMethod ?? 'GSSAPI-KERBEROS';
        return { allowed: false, endedBy: 'kerberos', attributes: {}, trace, enhanced, reason: `kerberos ends the chain: the ${enhanced} conversation decides` };
      }
      return ended(method.kind, verdict, trace);
    }
    const tried = this.methods.length === 0 ? 'the chain has no methods' : 'no method in the chain is relevant to what the client presented';
    return { allowed: false, endedBy: null, attributes: {}, trace, reason: `denied: ${tried}` };
  }

  async dispose(): Promise<void> {
    await Promise.all(this.methods.map((m) => m.dispose?.().catch(() => undefined)));
  }
}

async function checkSafely(method: ChainMethod, credentials: ChainCredentials, signal: AbortSignal): Promise<MethodVerdict> {
  try {
    return await method.check(credentials, signal);
  } catch (error) {
    // Fail closed: a method that cannot judge must not let the chain fall through to a weaker one.
    const message = error instanceof Error ? error.message : String(error);
    return { relevant: true, relevantWhy: 'the method failed while judging', valid: false, validWhy: `method error: ${message}` };
  }
}

function ended(kind: ChainMethodKind, verdict: MethodVerdict, trace: ChainTraceEntry[]): ChainDecision {
  const valid = verdict.valid === true;
  const attributes = valid ? { ...(verdict.attributes ?? {}) } : {};
  const why = `relevant: ${verdict.relevantWhy}; ${valid ? 'valid' : 'invalid'}: ${verdict.validWhy ?? (valid ? 'accepted' : 'refused')}`;
  trace.push({ method: kind, relevant: true, valid, why, ...(valid && verdict.attributes ? { attributes } : {}) });
  const who = valid && verdict.principal ? ` as ${verdict.principal}` : '';
  return {
    allowed: valid,
    endedBy: kind,
    attributes,
    trace,
    ...(valid && verdict.principal ? { principal: verdict.principal } : {}),
    reason: `${kind} ends the chain: ${valid ? 'allowed' : 'denied'}${who} (${verdict.validWhy ?? (valid ? 'accepted' : 'refused')})`,
  };
}

/** The CONNACK reason code for a denial (see the file comment). */
export function refusalCode(decision: ChainDecision): number {
  if (decision.endedBy === 'usernamePassword' || decision.endedBy === 'sat') return ReasonCode.BadUserNameOrPassword;
  return ReasonCode.NotAuthorized;
}

/** The decision as the Exchange keeps it (no `enhanced`: that is the gateway's business). */
export function verdictOf(decision: ChainDecision): AuthChainVerdict {
  return {
    allowed: decision.allowed,
    endedBy: decision.endedBy,
    attributes: { ...decision.attributes },
    trace: decision.trace.map((entry) => ({ ...entry, ...(entry.attributes ? { attributes: { ...entry.attributes } } : {}) })),
    ...(decision.principal ? { principal: decision.principal } : {}),
    reason: decision.reason,
  };
}

/** kerberos ended the chain: its entry gets the GSSAPI-KERBEROS conversation's outcome. */
export function completeEnhanced(decision: ChainDecision, outcome: { valid: boolean; why: string; principal?: string }): AuthChainVerdict {
  const verdict = verdictOf(decision);
  const last = verdict.trace[verdict.trace.length - 1];
  if (last) {
    last.valid = outcome.valid;
    last.why = `${last.why}; ${outcome.valid ? 'valid' : 'invalid'}: ${outcome.why}`;
  }
  verdict.allowed = outcome.valid;
  if (outcome.valid && outcome.principal) verdict.principal = outcome.principal;
  const who = outcome.valid && outcome.principal ? ` as ${outcome.principal}` : '';
  verdict.reason = `kerberos ends the chain: ${outcome.valid ? 'allowed' : 'denied'}${who} (${outcome.why})`;
  return verdict;
}

// The trace's wording is shared with `kbench broker`'s verdict lines (main/exchange/wording.ts).
export { traceLine } from '../../exchange/wording';
