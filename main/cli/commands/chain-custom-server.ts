/**
 * `kbench chain custom-server`: the sample custom authentication server in the foreground, one line
 * per request. Its certificate is self-signed for localhost / 127.0.0.1, made on first start in the
 * data directory; the path it prints is the CA a `custom` method trusts (caCertPem). The server is
 * the Chain service's, run in this process.
 */
import type { ChainCustomServerStatus } from '../../api/chain';
import { BenchFailure } from '../../engine/failure';
import { EXIT_OK, UsageError, type Command, type CommandInput } from '../command';
import { invokeService } from '../invoke';
import { str } from '../password-options';

function portOption(input: CommandInput): number {
  const value = str(input, 'port');
  if (value === undefined) return 0;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port is a whole number from 0 to 65535', chainCustomServerCommand);
  return port;
}

/** --allow USER:PASSWORD, repeatable. */
function allowOption(input: CommandInput): string[] {
  const allow = input.values.allow;
  return (Array.isArray(allow) ? allow : allow === undefined ? [] : [allow]).filter((v): v is string => typeof v === 'string');
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
    const usersFile = str(input, 'users');
    const engine = input.engine();
    // Subscribed before the start, as the old in-process log callback was: no request line is missed.
    const unsubscribe = engine.events.subscribe((event) => {
      if (event.name === 'chain.customServerRequest') io.stdout(event.payload.line);
    });
    let server: ChainCustomServerStatus;
    try {
      server = await invokeService(engine, 'chain', 'startCustomServer', {
        host: str(input, 'host') ?? '127.0.0.1',
        port,
        ...(usersFile ? { usersFile } : {}),
        allow: allowOption(input),
      });
    } catch (error) {
      unsubscribe();
      // A users file or --allow value that does not parse: the user's to fix, as a usage error.
      if (error instanceof BenchFailure && (error.details as { field?: string } | undefined)?.field === 'users') throw new UsageError(error.message, chainCustomServerCommand);
      throw error;
    }
    const users = server.users;
    io.stdout(`Kerberos Bench sample custom auth server listening on ${server.url}\n`);
    io.stdout(`  CA certificate ${server.caCertFile} (the custom method's caCertPem)\n`);
    io.stdout(`  ${users.length} user${users.length === 1 ? '' : 's'}: ${users.join(', ') || '(none: every request fails)'}\n`);
    io.stdout('Press Ctrl+C to stop.\n');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    unsubscribe();
    await invokeService(engine, 'chain', 'stopCustomServer');
    return EXIT_OK;
  },
};
