/** `kbench hash-password`: a PBKDF2-SHA512 hash for Azure's passwords.toml, or a check of one. */
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command } from '../command';
import { json } from '../format';
import { invokeService } from '../invoke';
import { passwordFrom, str } from '../password-options';

export const hashPasswordCommand: Command = {
  name: 'hash-password',
  summary: 'a PBKDF2-SHA512 password hash as az edge e4k get-password-hash writes it, or check one',
  usage: ['hash-password --password P | --password-stdin [--salt BASE64] [--iterations N] [--json]', 'hash-password --verify HASH --password P | --password-stdin'],
  details: `Prints one line $pbkdf2-sha512$i=N,l=64$SALT$HASH (SALT and HASH in base64 without padding), the
value of "password" in a passwords.toml entry for Azure IoT MQ's usernamePassword method:

  [client1]
  password = "$pbkdf2-sha512$i=210000,l=64$..."

By default a random 16-byte salt and 210000 iterations, as az edge e4k get-password-hash uses;
--json prints { "hash": … } as that tool does. The password may also come from KBENCH_PASSWORD.

With --verify HASH the command checks the password against HASH instead: exit status 0 when it
matches, 1 when it does not (the reason goes to stderr).`,
  options: {
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    salt: { type: 'string' },
    iterations: { type: 'string' },
    verify: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(input) {
    const { io, values } = input;
    const password = await passwordFrom(input);
    if (password === undefined) throw new UsageError('give the password with --password P, --password-stdin or KBENCH_PASSWORD', hashPasswordCommand);
    const verify = str(input, 'verify');
    if (verify !== undefined) {
      if (str(input, 'salt') !== undefined || str(input, 'iterations') !== undefined) throw new UsageError('--salt and --iterations come from the hash with --verify', hashPasswordCommand);
      const result = await invokeService(input.engine(), 'chain', 'verifyPassword', { hash: verify, password });
      if (values.json) io.stdout(json(result));
      else if (result.matches) io.stdout(`${result.why}\n`);
      if (!result.matches) io.stderr(`${result.why}\n`);
      return result.matches ? EXIT_OK : EXIT_FAILURE;
    }
    const iterations = iterationsFrom(str(input, 'iterations'));
    const salt = str(input, 'salt');
    const { hash } = await invokeService(input.engine(), 'chain', 'hashPassword', {
      password,
      ...(salt === undefined ? {} : { salt }),
      ...(iterations === undefined ? {} : { iterations }),
    });
    io.stdout(values.json ? json({ hash }) : `${hash}\n`);
    return EXIT_OK;
  },
};

function iterationsFrom(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]{0,7}$/.test(text)) throw new UsageError(`--iterations must be a whole number from 1 to 10000000, not "${text}"`, hashPasswordCommand);
  return Number(text);
}
