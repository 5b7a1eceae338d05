import { openInBrowser } from '../browser';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command, type CommandInput } from '../command';
import { bringLabUpForServing } from './lab';

export function parsePort(value: unknown, command: Command): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got "${String(value)}"`, command);
  return port;
}

/** How long closing connections, the broker and the GSS workers may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000;

/**
 * SIGINT (Ctrl+C) and SIGTERM, listened for from the start: one that arrives while the lab comes
 * up waits for that to finish instead of killing the process halfway through. A second signal
 * while shutting down exits at once; the GSS workers follow their parent out (IPC disconnect).
 */
function stopSignal(io: CommandInput['io']): { received: Promise<NodeJS.Signals>; dispose(): void } {
  let count = 0;
  let resolve!: (signal: NodeJS.Signals) => void;
  const received = new Promise<NodeJS.Signals>((done) => (resolve = done));
  const onSignal = (signal: NodeJS.Signals) => {
    if (++count > 1) {
      io.stderr(`${signal} again: exiting now.\n`);
      process.exit(130);
    }
    resolve(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    received,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Closes the host, then the engine (broker, probe, GSS workers, lab watchers), within the deadline. */
async function shutDown(io: CommandInput['io'], close: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), SHUTDOWN_DEADLINE_MS)));
  const outcome = await Promise.race([close().then(() => 'done' as const), deadline]).finally(() => clearTimeout(timer));
  if (outcome === 'late') {
    // runCli would dispose the same engine again and hang the same way: leave now.
    io.stderr(`Shutting down took more than ${SHUTDOWN_DEADLINE_MS / 1000} s: exiting anyway.\n`);
    process.exit(EXIT_FAILURE);
  }
}

/**
 * Runs web mode until SIGINT/SIGTERM, then stops everything it started: browser connections,
 * the broker and probe, the GSS workers. Shared by `kbench web` and `kbench start`'s fallback.
 * The lab KDC is not among them: it is detached on purpose and outlives the command.
 */
export async function serveWebMode(input: CommandInput, port: number | undefined, open: boolean): Promise<number> {
  const { io } = input;
  const engine = input.engine('web');
  const signal = stopSignal(io);
  try {
    // The lab realm first (README quick start: "lab realm up, UI open"); serving goes on without it.
    await bringLabUpForServing(io, engine, input.values['no-lab'] === true);
    // The host (HTTP, WebSocket) loads only for web mode, not with every kbench command.
    const { startWebHost } = await import('../../host/server');
    const host = await startWebHost({ engine, ...(port !== undefined ? { port } : {}) });
    io.stdout(`Kerberos Bench web mode on 127.0.0.1:${host.port}\n${host.url}\n`);
    if (open) {
      io.stdout(openInBrowser(host.url, io.env) ? 'Opened in your browser.\n' : 'No display here: open the URL above in a browser on this machine.\n');
    }
    io.stdout('Press Ctrl+C to stop.\n');
    const received = await signal.received;
    io.stderr(`${received}: stopping web mode (the lab KDC keeps running; kbench lab down stops it).\n`);
    await shutDown(io, async () => {
      await host.close();
      await engine.dispose();
    });
    return EXIT_OK;
  } finally {
    signal.dispose();
  }
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
