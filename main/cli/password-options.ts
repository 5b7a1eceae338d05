import { UsageError, type CliIo, type CommandInput } from './command';

/** Tests (and embedders) may hand a command a stdin of their own for --password-stdin. */
export type CliIoWithStdin = CliIo & { stdin?: NodeJS.ReadableStream };

/** A string option's value, or undefined. */
export const str = (input: CommandInput, name: string): string | undefined => {
  const value = input.values[name];
  return typeof value === 'string' ? value : undefined;
};

/** All of stdin, one trailing newline dropped (printf %s "$PW" | … and echo "$PW" | … both work). */
export async function readStdin(io: CliIoWithStdin): Promise<string> {
  const stream = io.stdin ?? process.stdin;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** --password, --password-stdin, then KBENCH_PASSWORD; undefined when none is given. */
export async function passwordFrom(input: CommandInput): Promise<string | undefined> {
  const flag = str(input, 'password');
  if (flag !== undefined && input.values['password-stdin']) throw new UsageError('give --password or --password-stdin, not both');
  if (flag !== undefined) return flag;
  if (input.values['password-stdin']) return readStdin(input.io as CliIoWithStdin);
  return input.io.env.KBENCH_PASSWORD || undefined; // set but empty counts as unset
}
