/**
 * Azure's usernamePassword method over a passwords.toml as Azure writes it; the hashes come from
 * Python's hashlib (a separate process), so the method is checked against an independent PBKDF2.
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { UsernamePasswordMethod } from '../../../main/broker/chain/methods/username-password';
import { ConfigFileError } from '../../../main/broker/chain/toml';
import type { ChainCredentials } from '../../../main/broker/chain/types';

function pythonHash(password: string, iterations: number): string {
  const script = [
    'import base64, hashlib, os, sys',
    'salt = os.urandom(16); n = int(sys.argv[2])',
    'b = lambda x: base64.b64encode(x).decode().rstrip("=")',
    'print("$pbkdf2-sha512$i=%d,l=64$%s$%s" % (n, b(salt), b(hashlib.pbkdf2_hmac("sha512", sys.argv[1].encode(), salt, n, 64))))',
  ].join('\n');
  return execFileSync('python3', ['-c', script, password, String(iterations)], { encoding: 'utf8' }).trim();
}

const creds = (over: Partial<ChainCredentials>): ChainCredentials => ({
  clientId: 'c1',
  mqttVersion: 5,
  remoteAddress: '127.0.0.1:50000',
  listener: { name: 'tcp://127.0.0.1:1883', protocol: 'tcp' },
  ...over,
});
const signal = new AbortController().signal;

describe('usernamePassword method', () => {
  let toml: string;
  let method: UsernamePasswordMethod;
  beforeAll(() => {
    toml = [
      '# written as in Azure\'s docs',
      '[client1]',
      `password = "${pythonHash('password1', 1000)}"`,
      '',
      '[client1.attributes]',
      'floor = "floor1"',
      'site = "site1"',
      '',
      '[client2]',
      `password = "${pythonHash('password2', 1000)}"`,
    ].join('\n');
    method = new UsernamePasswordMethod({ kind: 'usernamePassword', passwordsToml: toml, source: 'credentials/passwords.toml' });
  });

  it('is not relevant without a username', async () => {
    expect(await method.check(creds({ password: Buffer.from('password1') }), signal)).toEqual({ relevant: false, relevantWhy: 'no username' });
  });

  it('valid: the user exists and the password derives to the hash; attributes and principal', async () => {
    expect(await method.check(creds({ username: 'client1', password: Buffer.from('password1') }), signal)).toEqual({
      relevant: true,
      relevantWhy: 'username present',
      valid: true,
      validWhy: 'password matches',
      attributes: { floor: 'floor1', site: 'site1' },
      principal: 'client1',
    });
    const two = await method.check(creds({ username: 'client2', password: Buffer.from('password2') }), signal);
    expect(two).toMatchObject({ valid: true, attributes: {}, principal: 'client2' });
  });

  it('invalid: wrong password, unknown user, no password', async () => {
    expect(await method.check(creds({ username: 'client1', password: Buffer.from('password2') }), signal)).toMatchObject({ relevant: true, valid: false, validWhy: 'password does not match the hash of client1' });
    expect(await method.check(creds({ username: 'nobody', password: Buffer.from('x') }), signal)).toMatchObject({ relevant: true, valid: false, validWhy: 'no user nobody in credentials/passwords.toml' });
    expect(await method.check(creds({ username: 'client1' }), signal)).toMatchObject({ relevant: true, valid: false, validWhy: 'no password in the CONNECT for client1' });
    // Inherited object keys are not users.
    expect(await method.check(creds({ username: 'constructor', password: Buffer.from('x') }), signal)).toMatchObject({ valid: false, validWhy: 'no user constructor in credentials/passwords.toml' });
  });

  const hash = '$pbkdf2-sha512$i=1000,l=64$AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(86);
  const bad: [string, string, RegExp][] = [
    ['unknown key', `[client1]\npassword = "${hash}"\nfloor = "1"\n`, /^p\.toml:3: client1\.floor: unknown key "floor" \(expected "password" or "attributes"\)$/],
    ['unknown key in a later table', `[a]\npassword = "${hash}"\n\n[b]\npassword = "${hash}"\npasword = "x"\n`, /^p\.toml:6: b\.pasword: unknown key/],
    ['missing password', `[client1]\n[client1.attributes]\nfloor = "1"\n`, /^p\.toml:1: client1: "password" is missing$/],
    ['password not a string', `[client1]\npassword = 5\n`, /^p\.toml:2: client1\.password: must be a string, not a number$/],
    ['malformed hash', `[client1]\npassword = "$pbkdf2-sha256$i=1,l=64$AA$AA"\n`, /^p\.toml:2: client1\.password: password hash scheme \(at character 1\)/],
    ['attribute not a string', `[client1]\npassword = "${hash}"\n[client1.attributes]\nfloor = 1\n`, /^p\.toml:4: client1\.attributes\.floor: must be a string/],
    ['top-level value', `client1 = "x"\n`, /^p\.toml:1: client1: must be a table, not a string$/],
    ['TOML syntax', `[client1]\npassword = \n`, /^p\.toml:2: invalid value$/],
  ];
  it.each(bad)('refuses a passwords.toml with a %s, naming file:line', (_name, text, message) => {
    let error: unknown;
    try {
      new UsernamePasswordMethod({ kind: 'usernamePassword', passwordsToml: text, source: 'p.toml' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigFileError);
    expect((error as Error).message).toMatch(message);
  });
});
