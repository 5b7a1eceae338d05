import type { GssSupervisor } from '../gss/supervisor';
import type { KerberosProfile } from '../gss/types';
import { parseKeytab } from '../krb/keytab';
import { readUserFile } from '../system/files';
import type { Authenticator } from './auth';
import { GssapiKerberosAuthenticator, GssapiSingleRoundAuthenticator, parseServerPrincipal } from './kerberos-authenticators';

export type KerberosVariant = 'emqx' | 'single-round';

export interface KerberosListenerAuth {
  gss: GssSupervisor;
  /** Base profile (krb5.conf, replay cache); its keytab is replaced by `keytabFile`. */
  profile: KerberosProfile;
  keytabFile: string;
  /** service/FQDN@REALM. */
  principal: string;
  variant: KerberosVariant;
}

/**
 * The listener's Kerberos method: "GSSAPI-KERBEROS" (EMQX) or "GSSAPI" (single round), with a
 * GSS worker whose keytab is the listener's own (EMQX reads only the default keytab; each of our
 * listeners may have its own).
 */
export async function kerberosAuthenticator(config: KerberosListenerAuth): Promise<Authenticator> {
  parseServerPrincipal(config.principal);
  const keytab = parseKeytab(await readUserFile(config.keytabFile)).keytab.entries;
  const profile: KerberosProfile = { ...config.profile, id: `${config.profile.id}:broker:${config.keytabFile}`, keytab: `FILE:${config.keytabFile}` };
  const options = { gss: config.gss, profile, keytab, keytabLabel: config.keytabFile, principal: config.principal };
  return config.variant === 'emqx' ? new GssapiKerberosAuthenticator(options) : new GssapiSingleRoundAuthenticator(options);
}
