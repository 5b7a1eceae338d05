/** Entry point of the `kbench` command (bundled to out/main/cli.js; bin/kbench.js loads it). */
import { runCli } from './index';

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  isTty: Boolean(process.stdout.isTTY),
});
// Exit once stdout has drained: commands that read stdin (sasl client/server) would otherwise keep
// the process alive waiting for input nobody will send.
process.stdout.write('', () => process.exit(code));
