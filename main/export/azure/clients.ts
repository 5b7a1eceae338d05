/**
 * clients.toml: the usernamePassword method's password database (Azure's passwords.toml), hashed
 * as `az edge e4k get-password-hash` hashes (PBKDF2-SHA512, 210 000 iterations, 16-byte salt,
 * via the chain's own pbkdf2.ts format). Hashes and passwords are secrets: placeholders unless revealed.
 *
 * generate() must give the same files for the same model (the proof runs on one generation, the
 * user gets another), so the made-up client's password and salt are derived, not drawn: an HMAC
 * keyed with the service keytab's bytes (unknowable without the keytab, which is worth more than
 * the password), or with a random key kept per model object when there is no keytab.
 */
import { createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { DEFAULT_ITERATIONS, DERIVED_KEY_BYTES, formatPasswordHash } from '../../broker/chain/pbkdf2';
import { keyPath } from '../../broker/chain/toml';
import type { ExportModel } from '../types';

export const REDACTED = '<redacted: --reveal-secrets>';

export interface AzureClient {
  username: string;
  password: string;
  hash: string;
  attributes: Record<string, string>;
}

const seeds = new WeakMap<ExportModel, Buffer>();

function seedOf(model: ExportModel): Buffer {
  if (model.mqtt.keytab) return Buffer.from(model.mqtt.keytab);
  let seed = seeds.get(model);
  if (!seed) seeds.set(model, (seed = randomBytes(32)));
  return seed;
}

/** The one client of a chain made for the realm: the model's user, without the realm. */
export function realmClient(model: ExportModel): AzureClient {
  const username = model.client.principal.split('@')[0]!.replace(/\//g, '-');
  const derive = (what: string) => createHmac('sha256', seedOf(model)).update(`kbench azure clients.toml ${username} ${what}`).digest();
  const password = derive('password').toString('base64url').slice(0, 24);
  const salt = derive('salt').subarray(0, 16);
  const hash = formatPasswordHash({ iterations: DEFAULT_ITERATIONS, keyLength: DERIVED_KEY_BYTES, salt, hash: pbkdf2Sync(password, salt, DEFAULT_ITERATIONS, DERIVED_KEY_BYTES, 'sha512') });
  return { username, password, hash, attributes: { principal: model.client.principal, realm: model.realm } };
}

export function clientsToml(clients: AzureClient[], secret: string, reveal: boolean): string {
  const lines = [
    `# Azure IoT MQ usernamePassword clients: the secret "${secret}", key passwords.toml.`,
    `# Hashes as \`az edge e4k get-password-hash\` makes them (PBKDF2-SHA512, ${DEFAULT_ITERATIONS} iterations).`,
  ];
  for (const c of clients) {
    lines.push('', `[${keyPath([c.username])}]`, `password = ${JSON.stringify(reveal ? c.hash : REDACTED)}`);
    if (Object.keys(c.attributes).length) {
      lines.push('', `[${keyPath([c.username, 'attributes'])}]`);
      for (const [k, v] of Object.entries(c.attributes)) lines.push(`${keyPath([k])} = ${JSON.stringify(v)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** An existing passwords.toml with its hashes replaced by the placeholder (comments and layout kept). */
export function redactPasswordsToml(text: string): string {
  return text.replace(/^(\s*(?:[\w"'.-]+\.)?password\s*=\s*)("(?:[^"\\]|\\.)*"|'[^']*')/gm, `$1${JSON.stringify(REDACTED)}`);
}

export function passwordsText(clients: AzureClient[], reveal: boolean): string {
  return [
    '# What each usernamePassword client sends as its MQTT password (clients.toml holds only the hashes).',
    ...clients.map((c) => `${c.username} ${reveal ? c.password : REDACTED}`),
    '',
  ].join('\n');
}
