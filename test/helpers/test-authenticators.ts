/**
 * Small authentication methods for testing the broker's gateway without Kerberos.
 *
 * "TEST-ECHO": CONNECT (or AUTH 0x19) carries a user name; the server then sends `rounds`
 * challenges (AUTH 0x18 "challenge i/n") and each client AUTH 0x18 must carry the secret. After
 * the last correct answer: success, identity "<user>@TEST" mapped to "<user>", data "welcome <user>".
 * No data → 0x87; a wrong secret → 0x87. Like a real authenticator it records the steps that
 * carry Authentication Data (the contract in main/broker/auth.ts); `quiet` leaves that to the
 * gateway's fallback. `delayMs` makes every answer slow (deadline tests).
 */
import type { TransportPacket } from '../../main/exchange/model';
import {
  type AuthOutcome,
  type AuthSession,
  type AuthSessionContext,
  type Authenticator,
  ReasonCode,
  reasonLabel,
} from '../../main/broker/auth';

export interface EchoOptions {
  method?: string;
  rounds: number;
  secret: string;
  delayMs?: number;
  quiet?: boolean;
}

export class EchoAuthenticator implements Authenticator {
  readonly method: string;
  /** Every session's context, in order: tests look at reauth, clientId, listener. */
  readonly contexts: AuthSessionContext[] = [];
  disposed = 0;

  constructor(readonly options: EchoOptions) {
    this.method = options.method ?? 'TEST-ECHO';
  }

  createSession(context: AuthSessionContext): AuthSession {
    this.contexts.push(context);
    return new EchoSession(this, context);
  }
}

class EchoSession implements AuthSession {
  private user = '';
  private answered = 0;

  constructor(
    private readonly authenticator: EchoAuthenticator,
    private readonly context: AuthSessionContext,
  ) {}

  private get options(): EchoOptions {
    return this.authenticator.options;
  }

  async start(data: Buffer | undefined, transport: TransportPacket): Promise<AuthOutcome> {
    await this.pause();
    this.recordIncoming(data, transport, 'user name');
    if (data === undefined || data.length === 0) return { kind: 'failure', reasonCode: ReasonCode.NotAuthorized, reason: 'no Authentication Data: TEST-ECHO needs a user name' };
    this.user = data.toString();
    return this.next();
  }

  async continue(data: Buffer | undefined, transport: TransportPacket): Promise<AuthOutcome> {
    await this.pause();
    this.recordIncoming(data, transport, 'secret');
    if (data?.toString() !== this.options.secret) return { kind: 'failure', reasonCode: ReasonCode.NotAuthorized, reason: 'wrong secret' };
    this.answered++;
    return this.next();
  }

  async dispose(): Promise<void> {
    this.authenticator.disposed++;
  }

  private next(): AuthOutcome {
    if (this.answered >= this.options.rounds) {
      const data = Buffer.from(`welcome ${this.user}`);
      this.recordOutgoing(this.context.reauth ? 'AUTH' : 'CONNACK', ReasonCode.Success, data, 'welcome');
      return { kind: 'success', data, identity: { principal: `${this.user}@TEST`, mapped: this.user } };
    }
    const data = Buffer.from(`challenge ${this.answered + 1}/${this.options.rounds}`);
    this.recordOutgoing('AUTH', ReasonCode.ContinueAuthentication, data, 'challenge');
    return { kind: 'continue', data };
  }

  private async pause(): Promise<void> {
    if (this.options.delayMs) await new Promise((resolve) => setTimeout(resolve, this.options.delayMs));
  }

  private recordIncoming(data: Buffer | undefined, transport: TransportPacket, kind: string): void {
    if (this.options.quiet || data === undefined) return;
    this.context.recorder.add({ direction: 'client-to-server', transport, token: data.toString('base64'), tokenKind: kind });
  }

  private recordOutgoing(packet: string, reasonCode: number, data: Buffer, kind: string): void {
    if (this.options.quiet) return;
    this.context.recorder.add({
      direction: 'server-to-client',
      transport: { protocol: 'mqtt', packet, fields: { reasonCode: reasonLabel(reasonCode), authenticationMethod: this.authenticator.method } },
      token: data.toString('base64'),
      tokenKind: kind,
    });
  }
}
