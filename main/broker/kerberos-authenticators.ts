/**
 * The broker's Kerberos authentication methods:
 *   - "GSSAPI-KERBEROS", wire-compatible with EMQX's emqx_auth_kerberos: CONNECT carries the GSS
 *     initial token; AUTH 0x18 rounds carry the AP-REP, the client's empty answer, the wrapped
 *     security-layer offer (layer none, size 0) and the wrapped reply; then CONNACK 0x00 with the
 *     method. Built on the SASL GSSAPI server (main/sasl) with the EMQX offer.
 *   - "GSSAPI", the single-round variant (HiveMQ's extension): token in CONNECT, AP-REP in CONNACK.
 * MIT validates every AP-REQ through the GSS workers (a pool, one per core) whose profile carries
 * the listener's keytab.
 */
import type { TransportPacket } from '../exchange/model';
import { acceptorPoolSize, type GssSupervisor } from '../gss/supervisor';
import { GssError, type GssHandle, type GssWorkerApi, type KerberosProfile } from '../gss/types';
import type { KeytabEntry } from '../krb/keytab';
import { decodedStep, SaslStepDecoder, stepOf } from '../sasl/decoder';
import { OFFERS } from '../sasl/layers';
import { SaslGssapiServer } from '../sasl/server';
import { ReasonCode, reasonLabel, type AuthIdentity, type AuthOutcome, type AuthSession, type AuthSessionContext, type Authenticator } from './auth';

/** A server principal as EMQX wants it: service/FQDN@REALM. */
export interface ServerPrincipal {
  service: string;
  host: string;
  realm: string;
  /** The GSS acceptor name, "service@host". */
  gssName: string;
}

/** EMQX's own pattern for a server principal (emqx_authn_kerberos_schema.erl, validate_principal/1). */
export const EMQX_PRINCIPAL_PATTERN = /^([a-zA-Z0-9._-]+)\/([a-zA-Z0-9.-]+)(?:@([A-Z0-9.-]+))?$/;

/**
 * Parses and validates the configured server principal. EMQX refuses anything but
 * "service/FQDN@REALM" with the error text `invalid_server_principal_string`; so do we.
 */
export function parseServerPrincipal(text: string): ServerPrincipal {
  // EMQX's schema lets a principal without "@REALM" pass, but its authenticator then fails at the
  // first CONNECT (it reads the host with "service/FQDN@"): refusing it here says so up front.
  const match = EMQX_PRINCIPAL_PATTERN.exec(text.trim());
  if (!match?.[3]) throw new Error(`invalid_server_principal_string: "${text}" (expected service/FQDN@REALM, e.g. mqtt/broker.example.com@EXAMPLE.COM)`);
  const [, service, host, realm] = match as unknown as [string, string, string, string];
  return { service, host, realm, gssName: `${service}@${host}` };
}

export interface KerberosAuthenticatorOptions {
  gss: GssSupervisor;
  /** The profile the acceptor runs with: krb5.conf, replay cache, and the listener's keytab. */
  profile: KerberosProfile;
  /** The listener's keytab (the same file as profile.keytab), for the bench's half of the protocol. */
  keytab: readonly KeytabEntry[];
  keytabLabel: string;
  /** Validated with parseServerPrincipal. */
  principal: string;
}

const AUTH_CHALLENGE = (method: string): TransportPacket => ({
  protocol: 'mqtt',
  packet: 'AUTH',
  fields: { reasonCode: reasonLabel(ReasonCode.ContinueAuthentication), authenticationMethod: method },
});

/** The MQTT user aedes sees: the authorization id if asked for, else the principal's name without realm. */
function mapIdentity(principal: string, authzid?: string): AuthIdentity {
  return { principal, ...(authzid ? { authzid } : {}), mapped: authzid || principal.replace(/@[^@]*$/, '') };
}

/** What both Kerberos methods share: the validated service principal and its GSS worker. */
abstract class KerberosAuthenticator implements Authenticator {
  abstract readonly method: string;
  readonly principal: ServerPrincipal;
  readonly service: string;
  protected readonly worker: GssWorkerApi;

  constructor(protected readonly options: KerberosAuthenticatorOptions) {
    this.principal = parseServerPrincipal(options.principal);
    this.service = options.principal;
    // Many clients authenticate at once: their acceptors spread over a worker per core.
    this.worker = options.gss.worker(options.profile, { poolSize: acceptorPoolSize() });
  }

  abstract createSession(context: AuthSessionContext): AuthSession;
}

export class GssapiKerberosAuthenticator extends KerberosAuthenticator {
  readonly method = 'GSSAPI-KERBEROS';

  createSession(context: AuthSessionContext): AuthSession {
    const server = new SaslGssapiServer({
      gss: this.worker,
      service: this.principal.gssName,
      offer: OFFERS.emqx,
      keytab: this.options.keytab,
      keytabLabel: this.options.keytabLabel,
      recorder: context.recorder,
      challengeTransport: AUTH_CHALLENGE(this.method),
    });
    const respond = async (data: Buffer | undefined, transport: TransportPacket): Promise<AuthOutcome> => {
      const reply = await server.receive(data ?? Buffer.alloc(0), transport);
      if (reply.kind === 'challenge') return { kind: 'continue', data: reply.token };
      if (reply.kind === 'failure') return { kind: 'failure', reasonCode: ReasonCode.NotAuthorized, reason: reply.reason };
      const identity = server.exchange.identity;
      return { kind: 'success', data: Buffer.alloc(0), identity: mapIdentity(identity?.principal ?? '', identity?.authzid) };
    };
    return {
      start: async (data, transport) => {
        if (!data || data.length === 0) {
          context.recorder.add({ direction: 'client-to-server', transport, summary: 'no Authentication Data', error: 'no GSS token in the packet' });
          return { kind: 'failure', reasonCode: ReasonCode.NotAuthorized, reason: `${transport.packet} carried no Authentication Data: GSSAPI-KERBEROS needs the GSS initial token (AP-REQ) there` };
        }
        return respond(data, transport);
      },
      continue: respond,
      dispose: () => server.dispose(),
    };
  }
}

/** Single round: the AP-REQ in CONNECT, the AP-REP back in CONNACK; no security-layer round. */
export class GssapiSingleRoundAuthenticator extends KerberosAuthenticator {
  readonly method = 'GSSAPI';

  createSession(context: AuthSessionContext): AuthSession {
    const decoder = new SaslStepDecoder([{ kind: 'keytab', label: this.options.keytabLabel, entries: this.options.keytab }]);
    context.recorder.noteKeyFile('keytab', this.options.keytabLabel);
    let handle: GssHandle | undefined;
    const fail = (reason: string): AuthOutcome => ({ kind: 'failure', reasonCode: ReasonCode.NotAuthorized, reason });
    return {
      start: async (data, transport) => {
        if (!data || data.length === 0) {
          context.recorder.add({ direction: 'client-to-server', transport, summary: 'no Authentication Data', error: 'no GSS token in the packet' });
          return fail(`${transport.packet} carried no Authentication Data: GSSAPI needs the GSS initial token (AP-REQ) there`);
        }
        // One worker call creates the acceptor and steps it; a handle comes back only if the
        // context wants more (which this method then refuses, releasing it at dispose).
        const accepting = this.worker.serverAccept(this.principal.gssName, data.toString('base64'));
        accepting.catch(() => undefined);
        // Decoded for the Exchange while MIT works on it.
        const decoded = decoder.decode('client-to-server', data);
        try {
          const step = await accepting;
          handle = step.value.handle;
          context.recorder.add(stepOf(decoded, 'client-to-server', data, transport, { trace: step.trace }));
          if (!step.value.complete) return fail('the GSS context needs more than one round, which the single-round GSSAPI method cannot carry');
          const apRep = Buffer.from(step.value.response, 'base64');
          const reply: TransportPacket = { protocol: 'mqtt', packet: context.reauth ? 'AUTH' : 'CONNACK', fields: { reasonCode: reasonLabel(ReasonCode.Success), authenticationMethod: this.method } };
          if (apRep.length) context.recorder.add(decodedStep(decoder, 'server-to-client', apRep, reply));
          return { kind: 'success', data: apRep, identity: mapIdentity(step.value.username ?? '') };
        } catch (error) {
          if (!(error instanceof GssError)) throw error;
          context.recorder.add(stepOf(decoded, 'client-to-server', data, transport, { trace: error.trace, error: error.message }));
          return fail(error.message);
        }
      },
      continue: async () => fail('the single-round GSSAPI method takes no AUTH round'),
      dispose: async () => {
        if (handle) await this.worker.release(handle).catch(() => undefined);
      },
    };
  }
}
