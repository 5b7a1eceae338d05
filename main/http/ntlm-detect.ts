/**
 * NTLM where Kerberos was meant: the server asks for it (`WWW-Authenticate: NTLM`), or the token
 * inside `Negotiate` is NTLMSSP ([MS-NLMP] §2.2, recognised by main/krb/gss/spnego.ts
 * innerTokenFormat) because SPNEGO dropped Kerberos. Says why in words, from the evidence a probe
 * has: the host, the SPN checks, the GSS error, the client's credentials, the browsers' rules.
 */
import { readFile } from 'node:fs/promises';
import type { SpnCheck, SpnPrediction } from '../api/http';
import { fileOf } from '../gss/profiles';
import { parseCcache } from '../krb/ccache';
import { decodeSpnego, innerTokenFormat } from '../krb/gss/spnego';
import { isNtlmssp } from '../krb/gss/ntlm';
import { KrbDecodeError } from '../krb/errors';

/** Where NTLM showed up in a token: bare NTLMSSP (scheme NTLM), or inside a SPNEGO token. */
export function ntlmIn(token: Uint8Array): 'bare' | 'inside-negotiate' | undefined {
  if (isNtlmssp(token)) return 'bare';
  try {
    return decodeSpnego(token).innerTokens.some((t) => innerTokenFormat(t.bytes) === 'NTLMSSP') ? 'inside-negotiate' : undefined;
  } catch (error) {
    if (error instanceof KrbDecodeError) return undefined;
    throw error;
  }
}

/** Why a SPNEGO initiator offered NTLM first: the mechanism list of its NegTokenInit. */
export function offeredMechs(token: Uint8Array): string[] {
  try {
    const value = decodeSpnego(token).value;
    return value.kind === 'negTokenInit' ? value.mechTypes : [];
  } catch (error) {
    if (error instanceof KrbDecodeError) return [];
    throw error;
  }
}

/** Whether the ccache holds a TGT that is still valid: undefined when there is no FILE ccache to look at. */
export async function kerberosCredentials(ccacheName: string | undefined, now = Date.now() / 1000): Promise<{ ok: boolean; why: string } | undefined> {
  const file = fileOf(ccacheName);
  if (!file) return undefined;
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return { ok: false, why: `no Kerberos credentials: the credential cache ${file} does not exist (kinit first)` };
  }
  try {
    const tgts = parseCcache(bytes).ccache.credentials.filter((c) => c.server.components[0] === 'krbtgt');
    if (!tgts.length) return { ok: false, why: `no Kerberos credentials: ${file} holds no TGT` };
    if (tgts.every((c) => c.endtime <= now)) return { ok: false, why: `no Kerberos credentials: the TGT in ${file} has expired` };
    return { ok: true, why: `a valid TGT in ${file}` };
  } catch {
    return { ok: false, why: `no usable Kerberos credentials: ${file} is not a credential cache` };
  }
}

export interface NtlmEvidence {
  /** The server offered the NTLM scheme on a 401. */
  serverOffersNtlm: boolean;
  /** The server offered Negotiate too. */
  serverOffersNegotiate: boolean;
  /** The client's own tokens: where NTLMSSP showed up. */
  clientNtlm?: 'bare' | 'inside-negotiate';
  host: string;
  hostIsAddress: boolean;
  /** The SPN the client asked for, and what the KDC said of it. */
  spn: string;
  check?: SpnCheck;
  /** The Kerberos mechanism's own failure (GSS text), if one was seen. */
  gssError?: string;
  credentials?: { ok: boolean; why: string };
  /** The browsers' predictions: one that would not use Kerberos says why. */
  browsers?: SpnPrediction[];
}

/** The reasons Kerberos was not (or would not be) used, most telling first. */
export function kerberosBlockers(e: NtlmEvidence): string[] {
  const reasons: string[] = [];
  if (e.hostIsAddress) {
    reasons.push(`the URL names an IP address (${e.host}) instead of a host name: clients ask for ${e.spn}, which KDCs rarely know (Active Directory never registers IP SPNs), and Windows clients use NTLM for IP addresses`);
  }
  if (e.check?.kdcKnows === false) reasons.push(`no SPN: the KDC does not know ${e.spn} (register it, or use the host name the SPN was made for)`);
  else if (e.gssError && /not found in Kerberos database/i.test(e.gssError)) reasons.push(`no SPN: "${e.gssError}"`);
  if (e.credentials && !e.credentials.ok) reasons.push(e.credentials.why);
  else if (e.gssError && /No Kerberos credentials|No credentials were supplied|credentials cache .*not found/i.test(e.gssError)) reasons.push(`no Kerberos credentials: "${e.gssError}"`);
  for (const browser of e.browsers ?? []) if (browser.noKerberos) reasons.push(`${browser.client}: the host is not trusted for Negotiate — ${browser.noKerberos}`);
  return reasons;
}

/** The NTLM note of a probe run, or undefined when NTLM played no part. */
export function explainNtlm(e: NtlmEvidence): string | undefined {
  if (!e.serverOffersNtlm && !e.clientNtlm) return undefined;
  const reasons = kerberosBlockers(e);
  const because = reasons.length ? ` Why Kerberos was not used: ${reasons.map((r, i) => `(${i + 1}) ${r}`).join('; ')}.` : ' No reason showed up in the checks (the KDC knows the SPN and credentials exist): the client may prefer NTLM by configuration.';
  const parts: string[] = [];
  if (e.serverOffersNtlm) parts.push(`The server asks for NTLM (WWW-Authenticate: NTLM${e.serverOffersNegotiate ? ', besides Negotiate' : ''}): a browser that cannot do Kerberos here falls back to it.`);
  if (e.clientNtlm === 'inside-negotiate') parts.push('The client\'s token inside Negotiate is NTLMSSP, not Kerberos: its SPNEGO fell back to the NTLM mechanism (gss-ntlmssp with MIT).');
  if (e.clientNtlm === 'bare') parts.push('The client answered with a bare NTLMSSP token (scheme NTLM).');
  return `${parts.join(' ')}${because}`;
}
