/**
 * The endpoint's local users: who may sign in with Basic (the web console's fallback, and
 * Elasticsearch mode's `Basic realm="security"`), and who is an admin of the console's
 * `POST /api/security/kerberos/enableSso`.
 *
 * Design (as Jenkins does with its initial admin password): on first use two users are made with
 * random passwords — `admin` (an admin) and `viewer` (not one, to show the 403 path). Their scrypt
 * hashes go to `<data>/http/users.json`; the passwords themselves only to
 * `<data>/http/initial-passwords.json`, mode 0600, which the user reads (or `kbench http serve
 * --reveal` prints) to sign in. Nothing logs or records a password; a check against an unknown
 * user still runs scrypt, so the time taken does not tell which user names exist.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../system/files';

export interface ConsoleUser {
  name: string;
  admin: boolean;
}

interface StoredUser extends ConsoleUser {
  /** "scrypt$N$r$p$salt(b64)$hash(b64)" */
  hash: string;
}

interface UsersFile {
  version: 1;
  users: StoredUser[];
}

const SCRYPT = { N: 16_384, r: 8, p: 1, keyLength: 32 } as const;
const INITIAL_USERS: ConsoleUser[] = [
  { name: 'admin', admin: true },
  { name: 'viewer', admin: false },
];

function scrypt(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  const options: ScryptOptions = { N, r, p, maxmem: 64 * 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCallback(password, salt, SCRYPT.keyLength, options, (error, key) => (error ? reject(error) : resolve(key))));
}

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

async function verifyHash(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(password, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A password a person can copy: 18 random bytes as URL-safe base64 (24 characters). */
function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

export class ConsoleUsers {
  private constructor(
    private readonly users: StoredUser[],
    /** Where the initial passwords are (0600). */
    readonly passwordsFile: string,
    readonly usersFile: string,
  ) {}

  /** Loads `<dir>/users.json`, creating both files with fresh random passwords the first time. */
  static async open(dir: string): Promise<ConsoleUsers> {
    const usersFile = path.join(dir, 'users.json');
    const passwordsFile = path.join(dir, 'initial-passwords.json');
    const existing = await readFile(usersFile, 'utf8').then(
      (text) => JSON.parse(text) as UsersFile,
      () => undefined,
    );
    if (existing?.version === 1 && Array.isArray(existing.users)) return new ConsoleUsers(existing.users, passwordsFile, usersFile);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const passwords: Record<string, string> = {};
    const users: StoredUser[] = [];
    for (const user of INITIAL_USERS) {
      passwords[user.name] = generatePassword();
      users.push({ ...user, hash: await hashPassword(passwords[user.name]!) });
    }
    await writeFileAtomic(passwordsFile, Buffer.from(`${JSON.stringify(passwords, null, 2)}\n`), 0o600);
    await writeFileAtomic(usersFile, Buffer.from(`${JSON.stringify({ version: 1, users } satisfies UsersFile, null, 2)}\n`), 0o600);
    return new ConsoleUsers(users, passwordsFile, usersFile);
  }

  list(): ConsoleUser[] {
    return this.users.map(({ name, admin }) => ({ name, admin }));
  }

  /** The user when the password is right; undefined otherwise (unknown users cost the same scrypt). */
  async verify(name: string, password: string): Promise<ConsoleUser | undefined> {
    const user = this.users.find((u) => u.name === name);
    const ok = await verifyHash(password, user?.hash ?? this.users[0]?.hash ?? '');
    return user && ok ? { name: user.name, admin: user.admin } : undefined;
  }

  /** The initial passwords (the file the user was pointed to), for an explicit reveal only. */
  async revealInitialPasswords(): Promise<Record<string, string>> {
    return JSON.parse(await readFile(this.passwordsFile, 'utf8')) as Record<string, string>;
  }
}
