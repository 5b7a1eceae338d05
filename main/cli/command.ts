import type { ParseArgsConfig } from 'node:util';
import type { Engine } from '../engine';

/** Where a command writes and what it may read: injectable, so tests run commands in-process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Colour and symbols are for terminals only. */
  isTty: boolean;
  /** Whether stderr is a terminal (progress lines go there even when stdout is redirected). */
  stderrIsTty?: boolean;
}

export interface CommandInput {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  io: CliIo;
  /** The engine, created on first use with the given runtime. */
  engine(runtime?: 'cli' | 'web'): Engine;
}

/**
 * One `kbench` subcommand. A command either runs (`run`) or groups further subcommands
 * (`kbench keytab show …`); later capabilities add a module under commands/ and list it in
 * commands/index.ts.
 */
export interface Command {
  name: string;
  summary: string;
  /** One usage line per form, without the leading "kbench " but with parent command names ("keytab show FILE"). */
  usage: string[];
  /** Longer help shown by `kbench help NAME`: options, examples. */
  details?: string;
  options?: ParseArgsConfig['options'];
  /** Number of positional arguments accepted (default 0). */
  positionals?: { min: number; max: number };
  subcommands?: Command[];
  run?(input: CommandInput): Promise<number>;
}

/** Wrong flags or arguments: exit code 2 and the usage of the command. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: Command,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
