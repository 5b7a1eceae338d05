/** One ChainMethod from its resolved configuration (what Azure's YAML loads into). */
import type { ChainMethod, ChainMethodConfig } from '../types';
import { CustomMethod } from './custom';
import { KERBEROS_AUTHENTICATION_METHOD, KerberosChainMethod } from './kerberos';
import { SatMethod } from './sat';
import { UsernamePasswordMethod } from './username-password';
import { X509Method } from './x509';

export interface MethodContext {
  /**
   * The Authentication Method the listener's Kerberos authenticator answers: "GSSAPI-KERBEROS"
   * (EMQX's rounds, the default) or "GSSAPI" (single round). The kerberos method is relevant for it.
   */
  kerberosAuthenticationMethod?: string;
}

/** Throws the method's own configuration error (a bad passwords.toml, a CA that is not PEM …). */
export function methodFor(config: ChainMethodConfig, context: MethodContext = {}): ChainMethod {
  switch (config.kind) {
    case 'custom':
      return new CustomMethod(config);
    case 'sat':
      return new SatMethod(config);
    case 'usernamePassword':
      return new UsernamePasswordMethod(config);
    case 'x509':
      return new X509Method(config);
    case 'kerberos':
      return new KerberosChainMethod(context.kerberosAuthenticationMethod ?? KERBEROS_AUTHENTICATION_METHOD);
  }
}
