/**
 * Azure's `usernamePassword` method: a TOML password database (the secret's passwords.toml),
 *
 *   [client1]
 *   password = "$pbkdf2-sha512$i=100000,l=64$SALT$HASH"
 *   [client1.attributes]
 *   floor = "floor1"
 *
 * Relevant when the CONNECT carries a username; valid when that user is in the file and the
 * password derives to its hash.
 */
import { parsePasswordHash, PasswordHashError, verifyPassword, type PasswordHash } from '../pbkdf2';
import { parseTomlFile, TomlReader } from '../toml';
import type { ChainCredentials, ChainMethod, MethodVerdict, UsernamePasswordMethodConfig } from '../types';

interface PasswordEntry {
  hash: PasswordHash;
  attributes: Record<string, string>;
}

export const DEFAULT_PASSWORDS_SOURCE = 'passwords.toml';

export class UsernamePasswordMethod implements ChainMethod {
  readonly kind = 'usernamePassword' as const;
  private readonly users: Map<string, PasswordEntry>;
  private readonly source: string;

  /** Throws `ConfigFileError` (file:line) when the TOML cannot be used. */
  constructor(config: UsernamePasswordMethodConfig) {
    this.source = config.source ?? DEFAULT_PASSWORDS_SOURCE;
    this.users = parsePasswordsToml(config.passwordsToml, this.source);
  }

  get usernames(): string[] {
    return [...this.users.keys()];
  }

  async check(credentials: ChainCredentials, _signal: AbortSignal): Promise<MethodVerdict> {
    const { username } = credentials;
    if (username === undefined) return { relevant: false, relevantWhy: 'no username' };
    const relevantWhy = 'username present';
    const entry = this.users.get(username);
    if (!entry) return { relevant: true, relevantWhy, valid: false, validWhy: `no user ${username} in ${this.source}` };
    if (credentials.password === undefined) return { relevant: true, relevantWhy, valid: false, validWhy: `no password in the CONNECT for ${username}` };
    const { matches } = await verifyPassword(entry.hash, credentials.password);
    if (!matches) return { relevant: true, relevantWhy, valid: false, validWhy: `password does not match the hash of ${username}` };
    return { relevant: true, relevantWhy, valid: true, validWhy: 'password matches', attributes: { ...entry.attributes }, principal: username };
  }
}

/** passwords.toml: one table per user with `password` and optional `attributes`, nothing else. */
export function parsePasswordsToml(text: string, file: string): Map<string, PasswordEntry> {
  const reader = new TomlReader(text, file);
  const users = new Map<string, PasswordEntry>();
  for (const [name, value] of Object.entries(parseTomlFile(text, file))) {
    const table = reader.table(value, [name]);
    reader.onlyKeys(table, [name], ['password', 'attributes']);
    const password = reader.string(table.password, [name, 'password']);
    let hash: PasswordHash;
    try {
      hash = parsePasswordHash(password);
    } catch (error) {
      if (error instanceof PasswordHashError) reader.fail([name, 'password'], error.message);
      throw error;
    }
    users.set(name, { hash, attributes: reader.attributes(table.attributes, [name, 'attributes']) });
  }
  return users;
}
