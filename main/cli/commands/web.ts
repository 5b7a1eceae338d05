import { startWebHost } from '../../host/server';
import { openInBrowser } from '../browser';
import { EXIT_OK, UsageError, type Command, type CommandInput } from '../command';
import { bringLabUpForServing } from './lab';

export function parsePort(value: unknown, command: Command): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got "${String(value)}"`, command);
  return port;
}

/** Runs web mode until SIGINT/SIGTERM. Shared by `kbench web` and `kbench start`'s fallback. */
export async function serveWebMode(input: CommandInput, port: number | undefined, open: boolean): Promise<number> {
  const { io } = input;
  const engine = input.engine('web');
  // The lab realm first (README quick start: "lab realm up, UI open"); serving goes on without it.
  await bringLabUpForServing(io, engine, input.values['no-lab'] === true);
  const host = await startWebHost({ engine, ...(port !== undefined ? { port } : {}) });
  io.stdout(`Kerberos Bench web mode on 127.0.0.1:${host.port}\n${host.url}\n`);
  if (open) {
    io.stdout(openInBrowser(host.url, io.env) ? 'Opened in your browser.\n' : 'No display here: open the URL above in a browser on this machine.\n');
  }
  io.stdout('Press Ctrl+C to stop.\n');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await host.close();
  await engine.dispose();
  return EXIT_OK;
}

export const webCommand: Command = {
  name: 'web',
  summary: 'serve the bench UI and API to a browser on 127.0.0.1 (token protected)',
  usage: ['web [--port N] [--open] [--no-lab]'],
  details:
    '--port 0 (the default) picks a free port. The printed URL carries a random access token: the page keeps it in that tab and\n' +
    'offers it on the API\'s WebSocket; connections without it are refused (see the README\'s Security model).\n' +
    'Brings the lab realm up first (kbench lab up; its KDC keeps running afterwards) unless --no-lab.',
  options: { port: { type: 'string' }, open: { type: 'boolean' }, 'no-lab': { type: 'boolean' } },
  async run(input) {
    return serveWebMode(input, parsePort(input.values.port, webCommand), Boolean(input.values.open));
  },
};
