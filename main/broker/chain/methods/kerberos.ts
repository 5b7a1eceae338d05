/**
 * The chain's `kerberos` method: relevance only. It is relevant when the CONNECT carries the
 * Authentication Method of the listener's GSSAPI-KERBEROS authenticator; its validity is that
 * authenticator's enhanced-authentication conversation, which the gateway runs after the chain.
 */
import type { ChainCredentials, ChainMethod, MethodVerdict } from '../types';

export const KERBEROS_AUTHENTICATION_METHOD = 'GSSAPI-KERBEROS';

export class KerberosChainMethod implements ChainMethod {
  readonly kind = 'kerberos' as const;

  /** `authenticationMethod`: the name the listener's authenticator answers ("GSSAPI" for the single-round variant). */
  constructor(private readonly authenticationMethod: string = KERBEROS_AUTHENTICATION_METHOD) {}

  async check(credentials: ChainCredentials): Promise<MethodVerdict> {
    const method = credentials.authenticationMethod;
    if (method === undefined) return { relevant: false, relevantWhy: 'no Authentication Method in CONNECT' };
    if (method !== this.authenticationMethod) return { relevant: false, relevantWhy: `Authentication Method is "${method}", not ${this.authenticationMethod}` };
    return { relevant: true, relevantWhy: `Authentication Method is ${method}` };
  }
}
