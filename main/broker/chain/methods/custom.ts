/**
 * The `custom` chain method: every credential the client presented, POSTed as JSON over HTTPS to a
 * server of the user's (protocol: docs/chain-custom-auth.md). Its pass or fail ends the chain. A
 * server that cannot be reached — refused, timed out, TLS failure, an answer that is not the
 * protocol — makes the method NOT relevant, so the chain falls through to the next method, as Azure
 * IoT MQ does ("failure to communicate with the custom authentication server" = not relevant).
 *
 * The password and Authentication Data travel base64-encoded inside TLS; neither appears in any
 * verdict, why or log line made here.
 */
import { X509Certificate } from 'node:crypto';
import type { ChainCredentials, ChainMethod, CustomMethodConfig, MethodVerdict } from '../types';
import { displayUrl, postJson } from './https-json';

export const CUSTOM_DEFAULT_TIMEOUT_MS = 5000;
/** The protocol's version, sent in every request so servers can refuse one they do not speak. */
export const CUSTOM_PROTOCOL_VERSION = 1;

export class CustomConfigError extends Error {
  override name = 'CustomConfigError';
}

/** The request body (docs/chain-custom-auth.md). Absent credentials are absent fields. */
export interface CustomAuthRequest {
  version: number;
  clientId: string;
  mqttVersion: number;
  username?: string;
  /** base64 of the CONNECT password bytes. */
  password?: string;
  authenticationMethod?: string;
  /** base64. */
  authenticationData?: string;
  /** The TLS client certificate chain as presented, leaf first, PEM. */
  clientCertificateChain?: string[];
  remoteAddress: string;
  listener: { name: string; protocol: string };
}

/** The answer body: pass with attributes, or fail with a reason. */
export type CustomAuthAnswer =
  | { result: 'pass'; attributes?: Record<string, string>; expiry?: string; principal?: string }
  | { result: 'fail'; reason?: string };

function pem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

export function customAuthRequest(credentials: ChainCredentials): CustomAuthRequest {
  return {
    version: CUSTOM_PROTOCOL_VERSION,
    clientId: credentials.clientId,
    mqttVersion: credentials.mqttVersion,
    ...(credentials.username !== undefined ? { username: credentials.username } : {}),
    ...(credentials.password !== undefined ? { password: credentials.password.toString('base64') } : {}),
    ...(credentials.authenticationMethod !== undefined ? { authenticationMethod: credentials.authenticationMethod } : {}),
    ...(credentials.authenticationData !== undefined ? { authenticationData: credentials.authenticationData.toString('base64') } : {}),
    ...(credentials.clientCertificates?.length ? { clientCertificateChain: credentials.clientCertificates.map(pem) } : {}),
    remoteAddress: credentials.remoteAddress,
    listener: { name: credentials.listener.name, protocol: credentials.listener.protocol },
  };
}

type Parsed = { ok: true; answer: CustomAuthAnswer } | { ok: false; why: string };

/** The answer checked against the protocol: anything else is "not the protocol", never a crash. */
export function parseCustomAnswer(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, why: `answer is not JSON (${JSON.stringify(text.slice(0, 40))}${text.length > 40 ? '…' : ''})` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, why: 'answer is not a JSON object' };
  const answer = value as Record<string, unknown>;
  if (answer.result === 'fail') return { ok: true, answer: { result: 'fail', ...(typeof answer.reason === 'string' ? { reason: answer.reason } : {}) } };
  if (answer.result !== 'pass') return { ok: false, why: `answer.result is ${JSON.stringify(answer.result)}, not "pass" or "fail"` };
  const attributes: Record<string, string> = {};
  if (answer.attributes !== undefined) {
    if (!answer.attributes || typeof answer.attributes !== 'object' || Array.isArray(answer.attributes)) return { ok: false, why: 'answer.attributes is not an object' };
    for (const [name, v] of Object.entries(answer.attributes)) {
      if (typeof v !== 'string') return { ok: false, why: `answer.attributes.${name} is not a string` };
      attributes[name] = v;
    }
  }
  if (answer.expiry !== undefined && (typeof answer.expiry !== 'string' || Number.isNaN(Date.parse(answer.expiry)))) return { ok: false, why: 'answer.expiry is not an ISO 8601 time' };
  if (answer.principal !== undefined && typeof answer.principal !== 'string') return { ok: false, why: 'answer.principal is not a string' };
  return {
    ok: true,
    answer: { result: 'pass', attributes, ...(answer.expiry !== undefined ? { expiry: answer.expiry as string } : {}), ...(answer.principal !== undefined ? { principal: answer.principal as string } : {}) },
  };
}

function validate(config: CustomMethodConfig): URL {
  let url: URL;
  try {
    url = new URL(config.endpoint);
  } catch {
    throw new CustomConfigError(`custom: endpoint "${config.endpoint}" is not a URL`);
  }
  if (url.protocol !== 'https:') throw new CustomConfigError(`custom: endpoint must be https:// (passwords cross it), not ${url.protocol}//`);
  if (Boolean(config.clientCertPem) !== Boolean(config.clientKeyPem)) throw new CustomConfigError('custom: the client certificate and its key go together');
  if (config.caCertPem) {
    try {
      new X509Certificate(config.caCertPem);
    } catch (error) {
      throw new CustomConfigError(`custom: the CA certificate is not a PEM certificate: ${(error as Error).message}`);
    }
  }
  const timeout = config.timeoutMs ?? CUSTOM_DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 600_000) throw new CustomConfigError('custom: timeoutMs is a whole number of milliseconds from 1 to 600000');
  return url;
}

export class CustomMethod implements ChainMethod {
  readonly kind = 'custom' as const;
  private readonly url: URL;
  private readonly where: string;

  /** Throws CustomConfigError for http://, a bad CA PEM, half a client certificate. */
  constructor(private readonly config: CustomMethodConfig) {
    this.url = validate(config);
    this.where = `custom server ${displayUrl(this.url)}`;
  }

  async check(credentials: ChainCredentials, signal: AbortSignal): Promise<MethodVerdict> {
    const result = await postJson(this.url, customAuthRequest(credentials), {
      ...(this.config.caCertPem ? { caPem: this.config.caCertPem } : {}),
      ...(this.config.clientCertPem ? { certPem: this.config.clientCertPem } : {}),
      ...(this.config.clientKeyPem ? { keyPem: this.config.clientKeyPem } : {}),
      ...(this.config.headers ? { headers: this.config.headers } : {}),
      timeoutMs: this.config.timeoutMs ?? CUSTOM_DEFAULT_TIMEOUT_MS,
      signal,
    });
    if (result.kind === 'unreachable') return this.notRelevant(`unreachable: ${result.why}`);
    if (result.status === 401 || result.status === 403) {
      const parsed = parseCustomAnswer(result.body);
      const reason = parsed.ok && parsed.answer.result === 'fail' && parsed.answer.reason ? `: ${parsed.answer.reason}` : '';
      return this.decided(false, `server refused (HTTP ${result.status})${reason}`);
    }
    if (result.status !== 200) return this.notRelevant(`answered HTTP ${result.status}`);
    const parsed = parseCustomAnswer(result.body);
    if (!parsed.ok) return this.notRelevant(parsed.why);
    return this.verdict(parsed.answer, credentials);
  }

  private verdict(answer: CustomAuthAnswer, credentials: ChainCredentials): MethodVerdict {
    if (answer.result === 'fail') return this.decided(false, `server failed it${answer.reason ? `: ${answer.reason}` : ''}`);
    if (answer.expiry !== undefined && Date.parse(answer.expiry) <= Date.now()) return this.decided(false, `server passed it with an expiry in the past (${answer.expiry})`);
    const until = answer.expiry !== undefined ? ` until ${new Date(answer.expiry).toISOString()}` : '';
    const principal = answer.principal ?? credentials.username;
    return { ...this.decided(true, `server passed it${until}`), attributes: answer.attributes ?? {}, ...(principal !== undefined ? { principal } : {}) };
  }

  private decided(valid: boolean, validWhy: string): MethodVerdict {
    return { relevant: true, relevantWhy: `${this.where} answered`, valid, validWhy };
  }

  private notRelevant(why: string): MethodVerdict {
    return { relevant: false, relevantWhy: `${this.where} ${why}` };
  }
}
