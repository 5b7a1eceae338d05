/**
 * The NSS key log format (SSLKEYLOGFILE), as written by NSS, OpenSSL, BoringSSL, curl, browsers and
 * Node's 'keylog' event: one secret per line,
 *
 *   <label> SP <client_random: 64 hex digits> SP <secret: hex>
 *
 * TLS 1.2 (RFC 5246): `CLIENT_RANDOM` with the 48-byte master secret. TLS 1.3 (RFC 8446 §7.1): the
 * traffic secrets, as long as the suite's hash (32 bytes for SHA-256, 48 for SHA-384) —
 * CLIENT_EARLY_TRAFFIC_SECRET, CLIENT/SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT/SERVER_TRAFFIC_SECRET_0,
 * EARLY_EXPORTER_SECRET, EXPORTER_SECRET. Lines starting with '#' and blank lines are comments.
 * `RSA <encrypted pre-master prefix> <pre-master>` (old RSA key exchange) is recognised and skipped.
 *
 * A line that cannot be read is a warning naming its line number: a key log is often appended to by
 * several programs at once, and one torn line must not lose the others.
 */

/** Every secret the key log holds for one client random. */
export interface TlsSecrets {
  /** TLS 1.2: CLIENT_RANDOM. */
  masterSecret?: Uint8Array;
  clientEarlyTrafficSecret?: Uint8Array;
  clientHandshakeTrafficSecret?: Uint8Array;
  serverHandshakeTrafficSecret?: Uint8Array;
  clientTrafficSecret0?: Uint8Array;
  serverTrafficSecret0?: Uint8Array;
  earlyExporterSecret?: Uint8Array;
  exporterSecret?: Uint8Array;
}

/** The key log labels and the secret each fills. */
export const KeyLogLabel = {
  CLIENT_RANDOM: 'masterSecret',
  CLIENT_EARLY_TRAFFIC_SECRET: 'clientEarlyTrafficSecret',
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: 'clientHandshakeTrafficSecret',
  SERVER_HANDSHAKE_TRAFFIC_SECRET: 'serverHandshakeTrafficSecret',
  CLIENT_TRAFFIC_SECRET_0: 'clientTrafficSecret0',
  SERVER_TRAFFIC_SECRET_0: 'serverTrafficSecret0',
  EARLY_EXPORTER_SECRET: 'earlyExporterSecret',
  EXPORTER_SECRET: 'exporterSecret',
} as const satisfies Record<string, keyof TlsSecrets>;

/** ClientHello.random: 32 bytes (RFC 5246 §7.4.1.2, RFC 8446 §4.1.2). */
export const CLIENT_RANDOM_LENGTH = 32;
/** TLS 1.2 master secret (RFC 5246 §8.1). */
export const MASTER_SECRET_LENGTH = 48;
/** TLS 1.3 secrets are one hash long: SHA-256 or SHA-384. */
const TLS13_SECRET_LENGTHS = new Set([32, 48]);

const HEX = /^[0-9a-fA-F]+$/;

function hexBytes(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !HEX.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'hex'));
}

function randomKey(clientRandom: Uint8Array): string {
  return Buffer.from(clientRandom.buffer, clientRandom.byteOffset, clientRandom.byteLength).toString('hex');
}

/** Why a line is not a secret, or undefined when it was stored. */
function readLine(line: string, entries: Map<string, TlsSecrets>): string | undefined {
  const fields = line.split(/\s+/);
  if (fields.length !== 3) return `expected "LABEL CLIENT_RANDOM SECRET", found ${fields.length} field(s)`;
  const [label, randomHex, secretHex] = fields as [string, string, string];
  if (label === 'RSA') return 'an RSA pre-master secret (static RSA key exchange) is not supported: skipped';
  const field = (KeyLogLabel as Record<string, keyof TlsSecrets | undefined>)[label];
  if (!field) return `unknown label "${label.slice(0, 40)}"`;
  const random = hexBytes(randomHex);
  if (!random || random.length !== CLIENT_RANDOM_LENGTH) return `the client random is not ${CLIENT_RANDOM_LENGTH * 2} hex digits`;
  const secret = hexBytes(secretHex);
  if (!secret) return 'the secret is not hex';
  if (field === 'masterSecret' ? secret.length !== MASTER_SECRET_LENGTH : !TLS13_SECRET_LENGTHS.has(secret.length)) {
    return `a ${label} secret of ${secret.length} bytes (expected ${field === 'masterSecret' ? MASTER_SECRET_LENGTH : '32 or 48'})`;
  }
  const key = randomKey(random);
  let entry = entries.get(key);
  if (!entry) entries.set(key, (entry = {}));
  entry[field] = secret;
  return undefined;
}

export class TlsKeyLog {
  private constructor(private readonly entries: Map<string, TlsSecrets>) {}

  /** Reads a key log; never throws. A later line for the same client random and label wins. */
  static parse(text: string): { keylog: TlsKeyLog; warnings: string[] } {
    const entries = new Map<string, TlsSecrets>();
    const warnings: string[] = [];
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '' || line.startsWith('#')) continue;
      const problem = readLine(line, entries);
      if (problem) warnings.push(`key log line ${i + 1}: ${problem}`);
    }
    return { keylog: new TlsKeyLog(entries), warnings };
  }

  /** How many client randoms (connections) the log has secrets for. */
  get size(): number {
    return this.entries.size;
  }

  secretsFor(clientRandom: Uint8Array): TlsSecrets | undefined {
    if (clientRandom.length !== CLIENT_RANDOM_LENGTH) return undefined;
    return this.entries.get(randomKey(clientRandom));
  }
}
