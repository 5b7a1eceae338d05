/**
 * The Negotiate probe, the client role of SPNEGO over HTTP (RFC 4559): GET a URL, answer each
 * `401 WWW-Authenticate: Negotiate` with a GSS initiator's token in `Authorization: Negotiate`,
 * follow redirects (every hop's headers kept), check the server's mutual-authentication token in
 * the final `WWW-Authenticate` (§5: fed back to the initiator, which verifies the AP-REP), and fall
 * back to Basic when the server offers it and credentials were given. The conversation is an
 * Exchange (steps `GET`, `401`, `Authorization`, `200` … with protocol 'http'); in step mode the
 * probe pauses before each request.
 */
import type { HttpHop, MutualAuth, NegotiateProbePending } from '../api/http';
import type { Exchange, ExchangeStep, TransportPacket } from '../exchange/model';
import { ExchangeRecorder } from '../exchange/recorder';
import { GssError, type GssHandle, type GssWorkerApi } from '../gss/types';
import { formatAuthorization, HttpHeaderError, parseChallenges, sameScheme, type AuthChallenge } from './negotiate';
import { createHttpClient, explainHttpError, headerValues, type HttpAnswer, type HttpClient } from './probe-http';
import { ntlmIn } from './ntlm-detect';
import { NegotiateTokens } from './probe-tokens';

/** Negotiate rounds on one URL (NTLM takes two client tokens, Kerberos one): more is a loop. */
const MAX_ROUNDS = 4;
const USER_AGENT = 'kbench-negotiate-probe';

export interface NegotiateProbeConfig {
  url: string;
  /** The initiator: a GSS worker for the profile (MIT or Java). */
  gss: GssWorkerApi;
  profileId: string;
  /** The initiator's FILE ccache: its session keys let the Exchange show our own authenticator. */
  ccachePath?: string;
  /** GSS host-based name ("HTTP@host") for every hop; default HTTP@<the hop's host>, as curl builds it. */
  service?: string;
  mech: 'spnego' | 'krb5';
  maxRedirects: number;
  basic?: { user: string; password: string };
  insecure?: boolean;
  /** Step mode: resolves when the request may go; `ended` aborts when the run is closed meanwhile. */
  beforeSend?: (pending: NegotiateProbePending, ended: AbortSignal) => Promise<void>;
  /** Called after every hop or step (live views). */
  onChange?: () => void;
  timeoutMs?: number;
}

/** What the run saw of NTLM, for ntlm-detect. */
export interface NtlmSightings {
  serverOffersNtlm: boolean;
  serverOffersNegotiate: boolean;
  clientNtlm?: 'bare' | 'inside-negotiate';
}

export interface NegotiateProbeOutcome {
  exchange: Exchange;
  hops: HttpHop[];
  mutual: MutualAuth;
  status?: number;
  error?: string;
  /** The Kerberos mechanism's failure, when GSS refused. */
  gssError?: string;
  ntlm: NtlmSightings;
  /** The GSS names asked for ("HTTP@localhost"), one per URL that needed Negotiate. */
  services: string[];
}

type Step = Omit<ExchangeStep, 'index' | 'at' | 'elapsedMs'>;
const httpPacket = (packet: string, fields: Record<string, string | number | boolean> = {}): TransportPacket => ({ protocol: 'http', packet, fields });

/** The next URL of a redirect, or undefined when the answer is not one. */
function redirectTarget(answer: HttpAnswer, url: string): string | undefined {
  if (![301, 302, 303, 307, 308].includes(answer.status)) return undefined;
  const location = headerValues(answer.headers, 'location')[0];
  return location ? new URL(location, url).toString() : undefined;
}

/** The hop's headers as shown: a Basic password never leaves the probe. */
function shownHeaders(headers: [string, string][], basicUser?: string): [string, string][] {
  return headers.map(([name, value]) => (name === 'Authorization' && value.startsWith('Basic ') ? [name, `Basic <${basicUser ?? 'user'}:password hidden>`] : [name, value]));
}

type RoundResult = { kind: 'done'; answer: HttpAnswer } | { kind: 'redirect'; location: string } | { kind: 'failed'; reason: string; code?: string };

export class NegotiateProbe {
  readonly hops: HttpHop[] = [];
  readonly recorder: ExchangeRecorder;
  mutual: MutualAuth = 'not-reached';
  private readonly ended = new AbortController();
  private readonly client: HttpClient;
  private readonly tokens: NegotiateTokens;
  private readonly ntlm: NtlmSightings = { serverOffersNtlm: false, serverOffersNegotiate: false };
  private readonly services: string[] = [];
  private gssError: string | undefined;
  private status: number | undefined;
  private handle: { service: string; handle: GssHandle; complete: boolean } | undefined;
  /** The trace of the GSS step that made the token about to be sent. */
  private pendingTrace: string[] | undefined;

  constructor(private readonly config: NegotiateProbeConfig) {
    this.recorder = new ExchangeRecorder({ source: 'probe', role: 'client', mechanism: 'Negotiate', profile: config.profileId, meta: { url: config.url, mech: config.mech } });
    this.recorder.onStep(() => config.onChange?.());
    this.client = createHttpClient({ ...(config.insecure ? { insecure: true } : {}), ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}) });
    this.tokens = new NegotiateTokens(config.ccachePath, this.recorder);
  }

  get exchange(): Exchange {
    return this.recorder.exchange;
  }

  /** Ends the run: a pause ends with it, the connection is dropped. */
  close(): void {
    this.ended.abort();
    this.client.close();
    void this.release();
  }

  async run(): Promise<NegotiateProbeOutcome> {
    try {
      const result = await this.follow();
      this.finish(result);
    } catch (error) {
      const reason = this.ended.signal.aborted ? 'the probe was closed' : (error as Error).message;
      this.recorder.finish({ outcome: 'failure', reason });
      return this.outcome(reason);
    } finally {
      await this.release();
      this.client.close();
    }
    return this.outcome();
  }

  private outcome(error?: string): NegotiateProbeOutcome {
    return {
      exchange: this.exchange,
      hops: this.hops,
      mutual: this.mutual,
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(error ? { error } : {}),
      ...(this.gssError ? { gssError: this.gssError } : {}),
      ntlm: this.ntlm,
      services: this.services,
    };
  }

  /** Follows redirects up to maxRedirects; each URL gets its own Negotiate rounds. */
  private async follow(): Promise<RoundResult> {
    let url = this.config.url;
    for (let redirects = 0; ; redirects++) {
      const result = await this.rounds(url);
      if (result.kind !== 'redirect') return result;
      if (redirects >= this.config.maxRedirects) return { kind: 'failed', reason: `more than ${this.config.maxRedirects} redirects (the last one to ${result.location})`, code: 'too many redirects' };
      url = result.location;
      await this.release();
    }
  }

  private finish(result: RoundResult): void {
    if (result.kind === 'failed') {
      this.recorder.finish({ outcome: 'failure', reason: result.reason, ...(result.code ? { code: result.code } : {}) });
      return;
    }
    if (result.kind !== 'done') return;
    const { status, statusText } = result.answer;
    const who = this.exchange.identity?.principal ? ` as ${this.exchange.identity.principal}` : '';
    const notOffered = this.ntlm.clientNtlm ? '; NTLM: the server did not prove itself' : '; the server sent no mutual-authentication token';
    const proof = { verified: '; the server proved itself (mutual authentication verified)', 'not-offered': notOffered, failed: '', 'not-reached': '' }[this.mutual];
    if (this.mutual === 'failed') this.recorder.finish({ outcome: 'failure', reason: `${status} ${statusText}, but the server's mutual-authentication token did not verify: ${this.gssError ?? ''}`, code: 'mutual authentication failed' });
    else if (status >= 200 && status < 300) this.recorder.finish({ outcome: 'success', reason: `${status} ${statusText}${who}${proof}` });
    else this.recorder.finish({ outcome: 'failure', reason: `the server answered ${status} ${statusText}${who}`, code: `HTTP ${status}` });
  }

  /** One URL: GET, then answer 401s until the server says something else. */
  private async rounds(url: string): Promise<RoundResult> {
    let authorization: { value: string; what: string } | undefined;
    let basicTried = false;
    for (let round = 0; round <= MAX_ROUNDS; round++) {
      const answer = await this.send(url, authorization);
      const location = redirectTarget(answer, url);
      if (location) {
        this.serverStep(answer, `redirect to ${location}`, { location });
        return { kind: 'redirect', location };
      }
      const challenges = this.challenges(answer);
      const negotiate = challenges.find((c) => sameScheme(c.scheme, 'Negotiate'));
      if (answer.status !== 401) return this.final(answer, negotiate);
      this.noteSchemes(challenges);
      const next = await this.answer401(url, answer, negotiate, challenges, basicTried);
      if (next.kind === 'failed') return next;
      if (next.basic) basicTried = true;
      authorization = next.authorization;
    }
    return { kind: 'failed', reason: `still 401 after ${MAX_ROUNDS} Negotiate rounds: the server keeps asking`, code: 'too many rounds' };
  }

  /** What to send after a 401: a (next) Negotiate token, Basic, or nothing (failed). */
  private async answer401(
    url: string,
    answer: HttpAnswer,
    negotiate: AuthChallenge | undefined,
    challenges: AuthChallenge[],
    basicTried: boolean,
  ): Promise<{ kind: 'send'; authorization: { value: string; what: string }; basic?: boolean } | Extract<RoundResult, { kind: 'failed' }>> {
    const incoming = negotiate?.token68 ? Buffer.from(negotiate.token68, 'base64') : undefined;
    const firstRound = negotiate && !this.handle && !this.gssError;
    const continuing = negotiate && incoming && this.handle && !this.handle.complete;
    const basic = challenges.find((c) => sameScheme(c.scheme, 'Basic'));
    const basicFallback = basic && this.config.basic && !basicTried ? this.config.basic : undefined;
    if (firstRound || continuing) {
      this.serverStep(answer, firstRound ? '401 with Negotiate: the server asks for a GSS token' : '401 with a Negotiate continuation token', {}, incoming);
      const token = await this.gssStep(url, incoming);
      if (token) return { kind: 'send', authorization: { value: formatAuthorization({ scheme: 'Negotiate', token, base64: token.toString('base64') }), what: `Negotiate (${token.length}-byte token)` } };
      if (!basicFallback) return { kind: 'failed', reason: this.gssError ?? 'the GSS initiator failed', code: 'GSS failure' };
      return this.basic(basicFallback, 'the GSS initiator failed; Basic offered');
    }
    const refused = this.handle ? 'the server refused our Negotiate token (401 again)' : negotiate ? 'Negotiate offered' : `the server offers no Negotiate (${challenges.map((c) => c.scheme).join(', ') || 'no WWW-Authenticate'})`;
    if (basicFallback) {
      this.serverStep(answer, `${refused}; Basic offered`);
      return this.basic(basicFallback, `${refused}; Basic offered`);
    }
    this.serverStep(answer, refused, {}, incoming);
    const hint = basic && !this.config.basic ? ' (the server offers Basic: give Basic credentials to try it)' : '';
    return { kind: 'failed', reason: basicTried ? 'the server refused the Basic credentials too (401)' : `${refused}${hint}`, code: 'HTTP 401' };
  }

  private basic(credentials: { user: string; password: string }, why: string): { kind: 'send'; authorization: { value: string; what: string }; basic: true } {
    const hop = this.hops.at(-1);
    if (hop) hop.note = `${why}: falling back to Basic as ${credentials.user}`;
    this.exchange.meta = { ...this.exchange.meta, path: 'basic-fallback', basicUser: credentials.user };
    return { kind: 'send', authorization: { value: formatAuthorization({ scheme: 'Basic', ...credentials }), what: `Basic credentials for ${credentials.user}` }, basic: true };
  }

  /** The last answer: verify the server's mutual-authentication token if it sent one. */
  private async final(answer: HttpAnswer, negotiate: AuthChallenge | undefined): Promise<RoundResult> {
    const token = negotiate?.token68 ? Buffer.from(negotiate.token68, 'base64') : undefined;
    this.status = answer.status;
    if (!this.handle) {
      this.serverStep(answer, this.services.length ? `${answer.status} ${answer.statusText}` : `${answer.status} ${answer.statusText} without authentication`, {}, token);
      return { kind: 'done', answer };
    }
    if (!token) {
      this.mutual = 'not-offered';
      this.serverStep(answer, `${answer.status} ${answer.statusText}: no mutual-authentication token`);
      return { kind: 'done', answer };
    }
    try {
      const step = await this.config.gss.clientStep(this.handle.handle, token.toString('base64'));
      this.handle.complete = step.value.complete;
      // NTLM proves nothing about the server: SPNEGO's last token only carries its mechListMIC.
      const ntlm = this.ntlm.clientNtlm !== undefined;
      this.mutual = !step.value.complete ? 'failed' : ntlm ? 'not-offered' : 'verified';
      if (step.value.principal) this.exchange.identity = { ...this.exchange.identity, principal: step.value.principal };
      const note = !step.value.complete
        ? 'the mutual-authentication token left the context incomplete'
        : ntlm
          ? 'SPNEGO completed (mechListMIC verified), but NTLM has no mutual authentication: the server did not prove itself'
          : 'mutual authentication verified: the AP-REP decrypts with our session key';
      this.serverStep(answer, note, {}, token, step.trace);
      if (!step.value.complete) this.gssError = 'the context is not complete after the final token';
    } catch (error) {
      if (!(error instanceof GssError)) throw error;
      this.mutual = 'failed';
      this.gssError = error.message;
      this.serverStep(answer, 'the mutual-authentication token did not verify', {}, token, error.trace, error.message);
    }
    return { kind: 'done', answer };
  }

  /** One initiator step; undefined (and the failure recorded) when GSS refused. */
  private async gssStep(url: string, incoming: Buffer | undefined): Promise<Buffer | undefined> {
    const { gss } = this.config;
    const service = this.config.service ?? `HTTP@${new URL(url).hostname.replace(/^\[(.*)\]$/, '$1')}`;
    try {
      if (!this.handle) {
        this.services.push(service);
        this.exchange.service ??= service;
        const created = await gss.createClient(service, { mech: this.config.mech });
        this.handle = { service, handle: created.value.handle, complete: false };
      }
      const step = await gss.clientStep(this.handle.handle, incoming ? incoming.toString('base64') : '');
      this.handle.complete = step.value.complete;
      if (step.value.principal) this.exchange.identity = { ...this.exchange.identity, principal: step.value.principal };
      const token = Buffer.from(step.value.response, 'base64');
      this.ntlm.clientNtlm ??= ntlmIn(token);
      await this.tokens.learnCcacheKeys();
      this.pendingTrace = step.trace;
      return token;
    } catch (error) {
      if (!(error instanceof GssError)) throw error;
      this.gssError = error.message;
      const spn = service.replace('@', '/');
      const why = /not found in Kerberos database/i.test(error.message) ? ` — the KDC does not know the SPN ${spn}` : '';
      this.recorder.add({ direction: 'client-to-server', transport: httpPacket('abort', { service }), summary: `GSS initiator failed${why}`, error: error.message, ...(error.trace.length ? { trace: error.trace } : {}) });
      this.gssError = `${error.message}${why}`;
      return undefined;
    }
  }

  /** Sends one GET (after the step-mode pause) and records the hop and the request's step. */
  private async send(url: string, authorization: { value: string; what: string } | undefined): Promise<HttpAnswer> {
    const headers: [string, string][] = [
      ['Host', new URL(url).host],
      ['User-Agent', USER_AGENT],
      ['Accept', '*/*'],
      ...(authorization ? [['Authorization', authorization.value] as [string, string]] : []),
    ];
    const hop: HttpHop = { method: 'GET', url, requestHeaders: shownHeaders(headers, this.config.basic?.user) };
    const description = `GET ${url} ${authorization ? `with ${authorization.what}` : 'without credentials'}`;
    if (this.config.beforeSend) await this.config.beforeSend({ description, hop: structuredClone(hop) }, this.ended.signal);
    if (this.ended.signal.aborted) throw new Error('the probe was closed');
    this.clientStep(url, authorization);
    this.hops.push(hop);
    let answer: HttpAnswer;
    try {
      answer = await this.client.get(url, headers, this.ended.signal);
    } catch (error) {
      hop.note = explainHttpError(error as Error & { code?: string }, url);
      throw new Error(hop.note);
    }
    Object.assign(hop, { status: answer.status, statusText: answer.statusText, responseHeaders: answer.headers, body: answer.body });
    this.config.onChange?.();
    return answer;
  }

  /** The request as a step: `GET` without credentials, `Authorization` with a token or Basic. */
  private clientStep(url: string, authorization: { value: string; what: string } | undefined): void {
    const trace = this.pendingTrace;
    this.pendingTrace = undefined;
    if (!authorization) {
      this.recorder.add({ direction: 'client-to-server', transport: httpPacket('GET', { url }), summary: `GET ${url}` });
      return;
    }
    if (authorization.value.startsWith('Basic ')) {
      this.recorder.add({ direction: 'client-to-server', transport: httpPacket('Authorization', { url, scheme: 'Basic' }), summary: `GET with ${authorization.what} (password hidden)` });
      return;
    }
    const token = Buffer.from(authorization.value.slice('Negotiate '.length), 'base64');
    this.recorder.add(this.tokens.step('client-to-server', token, httpPacket('Authorization', { url, scheme: 'Negotiate' }), trace));
  }

  /** A response as a step: its status as the packet, WWW-Authenticate and Location as fields. */
  private serverStep(answer: HttpAnswer, note: string, fields: Record<string, string> = {}, token?: Buffer, trace?: string[], error?: string): void {
    const hop = this.hops.at(-1);
    if (hop) hop.note = note;
    const challenge = headerValues(answer.headers, 'www-authenticate').map((v) => (v.length > 80 ? `${v.slice(0, 77)}…` : v)).join(', ');
    const transport = httpPacket(String(answer.status), { ...(challenge ? { 'WWW-Authenticate': challenge } : {}), ...fields });
    const step: Step = token?.length ? this.tokens.step('server-to-client', token, transport, trace) : { direction: 'server-to-client', transport, ...(trace?.length ? { trace } : {}) };
    step.summary = step.summary ? `${note} — ${step.summary}` : note;
    if (error) step.error = error;
    this.recorder.add(step);
  }

  private challenges(answer: HttpAnswer): AuthChallenge[] {
    const values = headerValues(answer.headers, 'www-authenticate');
    try {
      return values.length ? parseChallenges(values) : [];
    } catch (error) {
      if (!(error instanceof HttpHeaderError)) throw error;
      const hop = this.hops.at(-1);
      if (hop) hop.note = `unreadable WWW-Authenticate: ${error.message}`;
      return [];
    }
  }

  private noteSchemes(challenges: AuthChallenge[]): void {
    if (challenges.some((c) => sameScheme(c.scheme, 'NTLM'))) this.ntlm.serverOffersNtlm = true;
    if (challenges.some((c) => sameScheme(c.scheme, 'Negotiate'))) this.ntlm.serverOffersNegotiate = true;
  }

  private async release(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await this.config.gss.release(handle.handle).catch(() => undefined);
  }
}
