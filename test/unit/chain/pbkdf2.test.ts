/**
 * PBKDF2 hashes in Azure's `$pbkdf2-sha512$i=N,l=64$SALT$HASH` form, checked against values that
 * Python's hashlib.pbkdf2_hmac computes in a separate process (not against our own function).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ITERATIONS, hashPassword, parsePasswordHash, PasswordHashError, verifyPassword } from '../../../main/broker/chain/pbkdf2';

/** Python's PBKDF2-HMAC-SHA512, the salt and hash base64 without padding, in Azure's layout. */
function pythonHash(password: string, saltHex: string, iterations: number): string {
  const script = [
    'import base64, hashlib, sys',
    'pw, salt, n = sys.argv[1].encode(), bytes.fromhex(sys.argv[2]), int(sys.argv[3])',
    'b = lambda x: base64.b64encode(x).decode().rstrip("=")',
    'print("$pbkdf2-sha512$i=%d,l=64$%s$%s" % (n, b(salt), b(hashlib.pbkdf2_hmac("sha512", pw, salt, n, 64))))',
  ].join('\n');
  return execFileSync('python3', ['-c', script, password, saltHex, String(iterations)], { encoding: 'utf8' }).trim();
}

describe('pbkdf2-sha512 hashes', () => {
  it('matches Python hashlib for a given salt and iteration count', async () => {
    const salt = '00112233445566778899aabbccddeeff';
    const expected = pythonHash('correct horse', salt, 1000);
    expect(await hashPassword('correct horse', { salt: Buffer.from(salt, 'hex'), iterations: 1000 })).toBe(expected);
  });

  it('matches Python for a non-ASCII password and a salt whose base64 needs padding', async () => {
    const salt = 'a1b2c3d4e5'; // 5 bytes: base64 would end in "="
    const expected = pythonHash('pässwörd ☃', salt, 5);
    const ours = await hashPassword('pässwörd ☃', { salt: Buffer.from(salt, 'hex'), iterations: 5 });
    expect(ours).toBe(expected);
    expect(ours.split('$').slice(3).join('$')).not.toContain('='); // salt and hash unpadded
  });

  it('defaults to a random 16-byte salt and 210000 iterations, and verifies what Python computes', async () => {
    const a = await hashPassword('pw');
    const b = await hashPassword('pw');
    expect(a).not.toBe(b);
    const parsed = parsePasswordHash(a);
    expect(parsed).toMatchObject({ iterations: DEFAULT_ITERATIONS, keyLength: 64 });
    expect(parsed.salt).toHaveLength(16);
    const python = pythonHash('pw', parsed.salt.toString('hex'), DEFAULT_ITERATIONS);
    expect(a).toBe(python);
  });

  it('verifies a Python hash: the right password matches, a wrong one does not', async () => {
    const hash = pythonHash('s3cret', 'deadbeefdeadbeefdeadbeefdeadbeef', 2000);
    expect(await verifyPassword(hash, 's3cret')).toEqual({ matches: true, why: 'password matches the hash (PBKDF2-SHA512, 2000 iterations)' });
    expect(await verifyPassword(hash, 's3cret ')).toEqual({ matches: false, why: 'password does not match the hash (PBKDF2-SHA512, 2000 iterations)' });
    expect((await verifyPassword(hash, Buffer.from('s3cret'))).matches).toBe(true);
  });

  it('does not block the event loop while it derives (async crypto.pbkdf2)', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await hashPassword('pw', { iterations: 400_000 });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(2);
  });

  const malformed: [string, string, number, RegExp][] = [
    ['pbkdf2-sha512$i=1,l=64$AAAA$AAAA', 'scheme', 0, /must start with "\$"/],
    ['$pbkdf2-sha256$i=1,l=64$AAAA$AAAA', 'scheme', 1, /"pbkdf2-sha256" is not "pbkdf2-sha512"/],
    ['$pbkdf2-sha512$i=1,l=64$AAAA', 'hash', 28, /missing/],
    ['$pbkdf2-sha512$i=x,l=64$AAAA$AAAA', 'parameters', 15, /"i=x" is not i=NUMBER/],
    ['$pbkdf2-sha512$i=1,l=64,q=2$AAAA$AAAA', 'parameters', 24, /"q=2"/],
    ['$pbkdf2-sha512$l=64$AAAA$AAAA', 'parameters', 15, /i= \(iterations\) is missing/],
    ['$pbkdf2-sha512$i=1,l=64$AA*A$AAAA', 'salt', 26, /"\*" is not a base64 character/],
    ['$pbkdf2-sha512$i=1,l=64$AAAAA$AAAA', 'salt', 28, /5 base64 characters/],
    ['$pbkdf2-sha512$i=1,l=64$AAAA$AAAA', 'hash', 29, /decodes to 3 bytes, but l=64/],
    ['$pbkdf2-sha512$i=1,l=64$AAAA$AAAA$x', 'hash', 33, /unexpected "\$"/],
    ['$pbkdf2-sha512$i=99999999,l=64$AAAA$AAAA', 'parameters', 15, /outside/],
  ];
  it.each(malformed)('refuses %s: part %s at character %d', (text, part, offset, reason) => {
    let error: unknown;
    try {
      parsePasswordHash(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PasswordHashError);
    expect(error).toMatchObject({ part, offset });
    expect((error as Error).message).toMatch(reason);
  });

  it('a malformed hash is a non-match with its reason, never a throw', async () => {
    expect(await verifyPassword('$pbkdf2-sha512$i=1', 'pw')).toEqual({ matches: false, why: expect.stringMatching(/^password hash salt \(at character 18\): is missing/) as unknown });
  });
});
