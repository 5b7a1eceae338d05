/**
 * The endpoint's GSS acceptor for `Authorization: Negotiate` (RFC 4559 §4–5). One acceptor context
 * per TCP connection: when GSS says "continue" (a SPNEGO mechanism renegotiation, or a mechanism
 * that needs more rounds) the context waits on the connection for the client's next request, the
 * 401 carrying `WWW-Authenticate: Negotiate <continue token>` (RFC 4559 §5: the exchange is bound to
 * the connection). Elasticsearch itself does one round; a context never spans two connections.
 *
 * The acceptor records the request's step itself (the token decoded with the service keytab, the
 * KRB5_TRACE or Java debug lines, the GSS error), so the step holds everything about its handling;
 * the response step is recorded by the endpoint through `responseStep` with the same decoder, whose
 * key ring learned the session key from the AP-REQ and so opens the AP-REP.
 */
import type { ExchangeStep, StepDirection, TransportPacket } from '../exchange/model';
import { GssError, type GssHandle, type GssWorkerApi } from '../gss/types';
import type { KeySpec } from '../krb/decode/session';
import { decodedStep, SaslStepDecoder } from '../sasl/decoder';
import { negotiateTokenKind, rawKrb5Explanation } from './token-kind';

export type AcceptOutcome =
  | { kind: 'success'; principal: string; targetName: string | null; mutualToken: Buffer }
  | { kind: 'continue'; token: Buffer }
  /** status 401: the client's token was refused; 500: the GSS worker crashed or hung (the next request gets a fresh one). */
  | { kind: 'failure'; status: 401 | 500; reason: string; code?: string };

export interface NegotiateAcceptorOptions {
  /** The profile's worker (MIT or Java); the supervisor replaces a crashed one at the next call. */
  worker: GssWorkerApi;
  /** GSS acceptor name, "HTTP@localhost", or '' for any key in the keytab. */
  gssName: string;
  /** The service keytab's keys, to decode the tokens for the Exchange. */
  keys: readonly KeySpec[];
  /** Elasticsearch: SPNEGO only (a raw krb5 token is refused with an explanation). */
  spnegoOnly: boolean;
}

type StepRecord = Omit<ExchangeStep, 'index' | 'at' | 'elapsedMs'>;

/** What the endpoint keeps per TCP connection for Negotiate. */
export class AcceptorConnection {
  private handle: GssHandle | undefined;
  private readonly decoder: SaslStepDecoder;
  /** Rounds of the context under way on this connection. */
  rounds = 0;

  constructor(private readonly options: NegotiateAcceptorOptions) {
    this.decoder = new SaslStepDecoder(options.keys);
  }

  /** A context waits for the client's next token on this connection. */
  get pending(): boolean {
    return this.handle !== undefined;
  }

  /** A token the server sends, decoded with what the connection's decoder has learned. */
  responseStep(token: Buffer, transport: TransportPacket): StepRecord {
    return decodedStep(this.decoder, 'server-to-client', token, transport);
  }

  /** A step for a token that never reached GSS (refused before), decoded all the same. */
  private refusedStep(direction: StepDirection, token: Buffer, transport: TransportPacket, error: string): StepRecord {
    return decodedStep(this.decoder, direction, token, transport, { error });
  }

  /**
   * Checks the token's kind, then steps the connection's acceptor context. `record` receives the
   * request's step once its handling is known.
   */
  async accept(token: Buffer, transport: TransportPacket, record: (step: StepRecord) => void): Promise<AcceptOutcome> {
    const kind = negotiateTokenKind(token);
    const refuse = (reason: string): AcceptOutcome => {
      record(this.refusedStep('client-to-server', token, transport, reason));
      return { kind: 'failure', status: 401, reason };
    };
    if (kind.kind === 'krb5' && this.options.spnegoOnly) return refuse(rawKrb5Explanation(kind.mechOid));
    if (kind.kind === 'ntlm' || kind.kind === 'malformed') return refuse(kind.why);
    if (kind.kind === 'spnego-resp' && !this.handle) {
      return refuse('a SPNEGO NegTokenResp continues an exchange, but none is under way on this connection (RFC 4559 §5: every round of one exchange travels on the same TCP connection)');
    }
    if (kind.kind !== 'spnego-resp') await this.release(); // a new initial token starts over
    return this.step(token, transport, record);
  }

  private async step(token: Buffer, transport: TransportPacket, record: (step: StepRecord) => void): Promise<AcceptOutcome> {
    const { worker } = this.options;
    let trace: string[] = [];
    try {
      if (!this.handle) {
        const created = await worker.createServer(this.options.gssName);
        this.handle = created.value.handle;
        trace = created.trace;
        this.rounds = 0;
      }
      const step = await worker.serverStep(this.handle, token.toString('base64'));
      this.rounds++;
      record(decodedStep(this.decoder, 'client-to-server', token, transport, { trace: [...trace, ...step.trace] }));
      const response = Buffer.from(step.value.response, 'base64');
      if (!step.value.complete) return { kind: 'continue', token: response };
      this.handle = undefined; // the worker released the established context
      return { kind: 'success', principal: step.value.username ?? '', targetName: step.value.targetName, mutualToken: response };
    } catch (error) {
      if (!(error instanceof GssError)) throw error;
      await this.release();
      record(decodedStep(this.decoder, 'client-to-server', token, transport, { trace: [...trace, ...error.trace], error: error.message }));
      return failureOf(error);
    }
  }

  /** Drops the context under way (connection closed, new initial token, failure). */
  async release(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    this.rounds = 0;
    if (handle) await this.options.worker.release(handle).catch(() => undefined);
  }
}

function failureOf(error: GssError): AcceptOutcome {
  if (error.kind === 'crash' || error.kind === 'timeout') {
    const what = error.kind === 'crash' ? 'crashed' : 'did not answer in time and was stopped';
    return {
      kind: 'failure',
      status: 500,
      reason: `the GSS worker ${what} while accepting the token (${error.message}); the next request gets a fresh worker`,
      code: error.kind === 'crash' ? 'GSS worker crash' : 'GSS worker timeout',
    };
  }
  return { kind: 'failure', status: 401, reason: error.message, code: error.kind === 'guard' ? 'refused before GSS' : 'GSS failure' };
}
