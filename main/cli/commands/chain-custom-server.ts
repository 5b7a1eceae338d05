/**
 * `kbench chain custom-server`: the sample custom authentication server in the foreground, one line
 * per request. Its certificate is self-signed for localhost / 127.0.0.1, made on first start in the
 * data directory; the path it prints is the CA a `custom` method trusts (caCertPem).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllow, readUsersFile, startCustomAuthServer, UsersFileError, type CustomServerUsers } from '../../broker/chain/custom-server';
import { ensureSelfSignedCertificate } from '../../broker/tls';
import { EXIT_OK, UsageError, type Command, type CommandInput } from '../command';
import { str } from '../password-options';

function portOption(input: CommandInput): number {
  const value = str(input, 'port');
  if (value === undefined) return 0;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port is a whole number from 0 to 65535', chainCustomServerCommand);
  return port;
}

async function usersOption(input: CommandInput): Promise<CustomServerUsers> {
  const file = str(input, 'users');
  const allow = input.values.allow;
  const allows = (Array.isArray(allow) ? allow : allow === undefined ? [] : [allow]).filter((v): v is string => typeof v === 'string');
  try {
    const users = file ? await readUsersFile(path.resolve(file)) : new Map();
    for (const value of allows) users.set(...parseAllow(value));
    return users;
  } catch (error) {
    if (error instanceof UsersFileError) throw new UsageError(error.message, chainCustomServerCommand);
    throw error;
  }
}

export const chainCustomServerCommand: Command = {
  name: 'custom-server',
  summary: 'a sample custom authentication server (HTTPS) for the chain\'s custom method: pass listed users, fail others',
  usage: ['chain custom-server [--host H] [--port N] [--users FILE.toml] [--allow USER:PASSWORD]…'],
  details: `Speaks the protocol of docs/chain-custom-auth.md: the broker POSTs the client's credentials as JSON,
the server answers { "result": "pass", "attributes": {…} } or { "result": "fail", "reason": "…" }.
--users FILE.toml lists the users, as Azure's passwords.toml but with the password in clear:
  [client1]
  password = "secret"
  [client1.attributes]
  floor = "1"
--allow USER:PASSWORD (repeatable) adds one without attributes. --host (default 127.0.0.1),
--port (default: a free one). The certificate is self-signed for localhost and 127.0.0.1, made
on first start in the data directory; give its path as the custom method's CA. Prints one line
per request (never the password); Ctrl+C stops.`,
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    users: { type: 'string' },
    allow: { type: 'string', multiple: true },
  },
  async run(input) {
    const { io } = input;
    const port = portOption(input);
    const users = await usersOption(input);
    const dataDir = (await input.engine().api.system.info()).dataDir;
    const files = await ensureSelfSignedCertificate(path.join(dataDir, 'chain-custom-server'));
    const server = await startCustomAuthServer({
      certPem: await readFile(files.certFile, 'utf8'),
      keyPem: await readFile(files.keyFile, 'utf8'),
      users,
      host: str(input, 'host') ?? '127.0.0.1',
      port,
      log: (line) => io.stdout(line),
    });
    io.stdout(`Kerberos Bench sample custom auth server listening on ${server.url}\n`);
    io.stdout(`  CA certificate ${files.certFile} (the custom method's caCertPem)\n`);
    io.stdout(`  ${users.size} user${users.size === 1 ? '' : 's'}: ${[...users.keys()].join(', ') || '(none: every request fails)'}\n`);
    io.stdout('Press Ctrl+C to stop.\n');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    return EXIT_OK;
  },
};
