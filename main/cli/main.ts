/** Entry point of the `kbench` command (bundled to out/main/cli.js; bin/kbench.js loads it). */
import v8 from 'node:v8';
import { EXIT_FAILURE } from './command';
import { runCli } from './index';

// V8 lets a small heap grow to about four times its live data before collecting (it is cheap to
// collect, so it collects rarely). A capture scan with 20,000 conversations holds ~40 MB live and
// peaked at 225 MB RSS that way; growing by at most 2× it peaks at ~180 MB, no slower (measured
// on the benchmark's files). Read at every GC, so setting it here still applies to this process.
v8.setFlagsFromString('--heap-growing-percent=100');

// `kbench … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// A promise nobody awaited that fails is a bug, but not a reason to drop a running broker or web
// host with every connection on it: say so and keep serving.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`kbench: internal error (still running): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
});

// Commands read KBENCH_PASSWORD from their own copy of the environment; the processes they start
// (kinit, kadmin.local, GSS workers) inherit process.env, and have no business with it.
const env = { ...process.env };
delete process.env.KBENCH_PASSWORD;

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env,
  isTty: Boolean(process.stdout.isTTY),
  stderrIsTty: Boolean(process.stderr.isTTY),
}).catch((error: unknown) => {
  // runCli turns every failure into an exit code; this only catches a failing clean-up.
  process.stderr.write(`kbench: ${(error as Error)?.message ?? String(error)}\n`);
  return EXIT_FAILURE;
});
// Exit once stdout has drained: commands that read stdin (sasl client/server) would otherwise keep
// the process alive waiting for input nobody will send.
process.stdout.write('', () => process.exit(code));
