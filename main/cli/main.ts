/** Entry point of the `kbench` command (bundled to out/main/cli.js; bin/kbench.js loads it). */
import { runCli } from './index';

// `kbench … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  isTty: Boolean(process.stdout.isTTY),
});
// Exit once stdout has drained: commands that read stdin (sasl client/server) would otherwise keep
// the process alive waiting for input nobody will send.
process.stdout.write('', () => process.exit(code));
