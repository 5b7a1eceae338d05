/**
 * One JSON POST over HTTPS, for the chain methods that ask a server (`custom`, `sat` with a
 * Kubernetes TokenReview). Never throws: the answer is either the server's response or the reason
 * it could not be had, in words a user can act on ("connect ECONNREFUSED", "TLS: … (not signed by
 * the configured CA)", "no answer within 5000 ms").
 */
import https from 'node:https';

export interface HttpsJsonOptions {
  /** PEM of the CA(s) trusted for the server certificate; absent: Node's default roots. */
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

export type HttpsJsonResult =
  | { kind: 'answer'; status: number; body: string }
  | { kind: 'unreachable'; why: string };

/** An authentication answer is a few hundred bytes; more than this is not the protocol. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** OpenSSL verification codes that mean "the server's certificate does not chain to what we trust". */
const UNTRUSTED_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
]);

/** Words for why the request failed: TLS failures say so and what the bench trusted. */
export function describeRequestError(error: NodeJS.ErrnoException, trustedConfiguredCa: boolean): string {
  const code = error.code ?? '';
  if (UNTRUSTED_CODES.has(code)) return `TLS: ${error.message} (not signed by ${trustedConfiguredCa ? 'the configured CA' : 'a CA in the system trust store'})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    // Node's text lists only the certificate's IP names when the URL has an IP: say all of them.
    const { host, cert } = error as NodeJS.ErrnoException & { host?: string; cert?: { subjectaltname?: string } };
    if (host && cert?.subjectaltname) return `TLS: the server's certificate is for ${cert.subjectaltname}, not ${host}`;
    return `TLS: ${error.message}`;
  }
  if (code.startsWith('CERT_') || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL')) return `TLS: ${error.message}`;
  return error.message;
}

export function postJson(url: URL, body: unknown, options: HttpsJsonOptions): Promise<HttpsJsonResult> {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: HttpsJsonResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      request.destroy();
      resolve(result);
    };
    const request = https.request(url, {
      method: 'POST',
      headers: { ...options.headers, 'content-type': 'application/json', accept: 'application/json', 'content-length': String(payload.length) },
      ...(options.caPem ? { ca: options.caPem } : {}),
      ...(options.certPem ? { cert: options.certPem } : {}),
      ...(options.keyPem ? { key: options.keyPem } : {}),
      agent: false,
    });
    // The whole exchange — connect, TLS, answer — gets one budget, not one per socket event.
    const timer = setTimeout(() => finish({ kind: 'unreachable', why: `no answer within ${options.timeoutMs} ms` }), options.timeoutMs);
    const onAbort = () => finish({ kind: 'unreachable', why: 'the client went away before the server answered' });
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (error: NodeJS.ErrnoException) => finish({ kind: 'unreachable', why: describeRequestError(error, Boolean(options.caPem)) }));
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) finish({ kind: 'unreachable', why: `answer larger than ${MAX_ANSWER_BYTES} bytes` });
        else chunks.push(chunk);
      });
      response.on('end', () => finish({ kind: 'answer', status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', (error: NodeJS.ErrnoException) => finish({ kind: 'unreachable', why: describeRequestError(error, Boolean(options.caPem)) }));
    });
    request.end(payload);
  });
}

/** "https://h:p/path" for messages: no credentials, no query (a header-less token could sit there). */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
