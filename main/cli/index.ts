import { parseArgs } from 'node:util';
import { createEngine, type Engine } from '../engine';
import { defaultDataDir } from '../system/paths';
import { NotAFileError } from '../system/files';
import { benchVersion } from '../system/paths';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, type CliIo, type Command } from './command';
import { commands } from './commands';

function usageLines(command: Command): string {
  return command.usage.map((u) => `  kbench ${u}`).join('\n');
}

function commandHelp(command: Command, prefix: string): string {
  const subs = command.subcommands?.map((s) => `  ${s.name.padEnd(14)}${s.summary}`).join('\n');
  return [
    `kbench ${prefix}${command.name} — ${command.summary}`,
    '',
    'Usage:',
    command.subcommands ? command.subcommands.map(usageLines).join('\n') : usageLines(command),
    ...(subs ? ['', 'Subcommands:', subs] : []),
    ...(command.details ? ['', command.details] : []),
    '',
  ].join('\n');
}

export function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 3;
  return [
    'Kerberos Bench — a test bench for Kerberos authentication (SASL GSSAPI, MQTT 5 GSSAPI-KERBEROS, SPNEGO)',
    '',
    'Usage: kbench <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    `  ${'help'.padEnd(width)}show help for a command: kbench help doctor`,
    '',
    'Options: --help, --version. Most commands take --json for machine-readable output.',
    'Exit codes: 0 ok, 1 failure, 2 usage error.',
    '',
  ].join('\n');
}

/** Walks `argv` down the command tree: `keytab show FILE` → the `show` command and ["FILE"]. */
function resolveCommand(argv: string[], forHelp = false): { command: Command; rest: string[]; prefix: string } {
  const [name, ...rest] = argv;
  const top = commands.find((c) => c.name === name);
  if (!top) throw new UsageError(`unknown command "${name}". Run kbench --help for the list.`);
  let command: Command = top;
  let prefix = '';
  while (command.subcommands) {
    const subName = rest[0];
    // `kbench help keytab` and `kbench keytab --help` show the group's help.
    if (subName === '--help' || subName === '-h' || (forHelp && subName === undefined)) break;
    const sub: Command | undefined = command.subcommands.find((s) => s.name === subName);
    if (!sub) throw new UsageError(subName ? `unknown subcommand "${subName}" for ${command.name}` : `${command.name} needs a subcommand`, command);
    prefix += `${command.name} `;
    command = sub;
    rest.shift();
  }
  return { command, rest, prefix };
}

/**
 * Runs one `kbench` invocation and returns its exit code. Never calls process.exit, so tests can
 * run commands in-process.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let engine: Engine | undefined;
  const first = argv[0];
  try {
    if (first === undefined || first === '--help' || first === '-h') {
      io.stdout(mainHelp());
      return first === undefined ? EXIT_USAGE : EXIT_OK;
    }
    if (first === '--version' || first === '-V') {
      io.stdout(`${benchVersion()}\n`);
      return EXIT_OK;
    }
    if (first === 'help') {
      if (!argv[1]) {
        io.stdout(mainHelp());
        return EXIT_OK;
      }
      const { command, prefix } = resolveCommand(argv.slice(1), true);
      io.stdout(commandHelp(command, prefix));
      return EXIT_OK;
    }
    const { command, rest, prefix } = resolveCommand(argv);
    if (rest.includes('--help') || rest.includes('-h') || !command.run) {
      io.stdout(commandHelp(command, prefix));
      return command.run ? EXIT_OK : EXIT_USAGE;
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError((error as Error).message, command);
    }
    const limits = command.positionals ?? { min: 0, max: 0 };
    if (parsed.positionals.length < limits.min || parsed.positionals.length > limits.max) {
      throw new UsageError(
        parsed.positionals.length < limits.min ? 'missing argument' : `unexpected argument "${parsed.positionals[limits.max]}"`,
        command,
      );
    }
    return await command.run({
      values: parsed.values,
      positionals: parsed.positionals,
      io,
      // The command's environment names the data directory (KBENCH_DATA_DIR), not this process's:
      // an in-process run (tests, the web host) must never touch another data directory.
      engine: (runtime = 'cli') => (engine ??= createEngine({ runtime, dataDir: defaultDataDir(io.env) })),
    });
  } catch (caught) {
    let error = caught;
    if (error instanceof NotAFileError) error = new UsageError(error.message);
    if (error instanceof UsageError) {
      io.stderr(`kbench: ${error.message}\n`);
      if (error.command) io.stderr(`usage:\n${error.command.subcommands ? error.command.subcommands.map(usageLines).join('\n') : usageLines(error.command)}\n`);
      return EXIT_USAGE;
    }
    io.stderr(`kbench: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  } finally {
    await engine?.dispose();
  }
}
