/**
 * `kbench call SERVICE.METHOD [ARG…]`: any method of the Bench API from a script, through the same
 * dispatcher (and input schemas) as the window's IPC and web mode's WebSocket. Commands with their
 * own name format results for people; this one gives every method a command line.
 */
import { benchMethods } from '../../api/contract';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command } from '../command';
import { json } from '../format';

/** "keytab.read" → its service and method names (unknown ones are the dispatcher's to refuse). */
function target(text: string): { service: string; method: string } {
  const match = /^([A-Za-z]+)\.([A-Za-z]+)$/.exec(text);
  if (!match) throw new UsageError(`"${text}" is not SERVICE.METHOD (e.g. keytab.read)`, callCommand);
  return { service: match[1]!, method: match[2]! };
}

/** Each ARG is one argument of the method, as JSON ("null", "true", '{"path":"svc.keytab"}'). */
function argument(text: string, index: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`argument ${index + 1} is not JSON: ${(error as Error).message}`, callCommand);
  }
}

const methodList = Object.entries(benchMethods)
  .map(([service, methods]) => `  ${service}: ${methods.join(', ')}`)
  .join('\n');

export const callCommand: Command = {
  name: 'call',
  summary: 'call any Bench API method with JSON arguments (what the window and web mode call)',
  usage: ['call SERVICE.METHOD [ARG…] [--json]'],
  details: `Each ARG is one argument of the method, as JSON:
  kbench call keytab.read '{"path":"svc.keytab"}' false
  kbench call spn.build '{"product":"emqx","realm":"EXAMPLE.COM","host":"broker.example.com"}'
The arguments meet the same input schemas as the window's and web mode's calls. Prints the result
as JSON; a refused or failed call prints "kbench: reason" and exits 1. --json prints the envelope the
window and web mode receive: { "ok": true, "value" } or { "ok": false, "error": { code, message, details? } }
(exit code 1 when not ok). Methods:
${methodList}`,
  options: { json: { type: 'boolean' } },
  positionals: { min: 1, max: 33 },
  async run(input) {
    const [name, ...texts] = input.positionals as [string, ...string[]];
    const { service, method } = target(name);
    const result = await input.engine().invoke({ service, method, args: texts.map(argument) });
    if (input.values.json) {
      input.io.stdout(json(result));
      return result.ok ? EXIT_OK : EXIT_FAILURE;
    }
    if (!result.ok) {
      input.io.stderr(`kbench: ${result.error.message}\n`);
      return EXIT_FAILURE;
    }
    input.io.stdout(json(result.value ?? null));
    return EXIT_OK;
  },
};
