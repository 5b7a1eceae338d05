/** `kbench chain test FILE.yaml`: one connection through a listener's chain, and its decision trace. */
import path from 'node:path';
import type { ChainTestInput, ChainTestResult } from '../../api/chain';
import { logSafe } from '../../system/log-safe';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command } from '../command';
import { json } from '../format';
import { invokeService } from '../invoke';
import { passwordFrom, str } from '../password-options';

/** Exactly what --json prints: the decision, not the Exchange (the UI and the broker log have that). */
export function chainTestJson(result: ChainTestResult): { allowed: boolean; endedBy: ChainTestResult['endedBy']; attributes: Record<string, string>; trace: { method: string; relevant: boolean; valid: boolean | null; why: string }[] } {
  return {
    allowed: result.allowed,
    endedBy: result.endedBy,
    attributes: result.attributes,
    // valid is null when the method was not relevant (never judged): every entry has the four keys.
    trace: result.trace.map((e) => ({ method: e.method, relevant: e.relevant, valid: e.valid ?? null, why: e.why })),
  };
}

function traceText(result: ChainTestResult): string {
  const lines = result.trace.map((e, i) => {
    const mark = !e.relevant ? 'not relevant' : e.valid === undefined ? 'relevant' : e.valid ? 'relevant, valid' : 'relevant, INVALID';
    const attributes = e.attributes && Object.keys(e.attributes).length > 0 ? `\n     attributes ${JSON.stringify(e.attributes)}` : '';
    return `  ${i + 1}. ${e.method}: ${mark}\n     ${logSafe(e.why)}${attributes}`;
  });
  if (lines.length === 0) lines.push('  (no method asked)');
  const verdict = result.exchange.verdict;
  const code = verdict.code ? ` (${verdict.code})` : '';
  const who = result.principal ? ` as ${logSafe(result.principal)}` : '';
  const attributes = Object.keys(result.attributes).length > 0 ? `attributes ${JSON.stringify(result.attributes)}\n` : '';
  return `${lines.join('\n')}\n${result.allowed ? 'ALLOWED' : 'DENIED'}${who}${code}: ${logSafe(result.reason)}\n${attributes}`;
}

export const chainTestCommand: Command = {
  name: 'test',
  summary: "run one MQTT 5 connection through a listener's chain and print the decision trace",
  usage: ['chain test FILE.yaml [--listener NAME] [--username U] [--password P | --password-stdin] [--cert C --key K] [--method GSSAPI-KERBEROS] [--client-id ID] [--json]'],
  details: `Loads Azure IoT MQ BrokerAuthentication and BrokerListener resources from FILE.yaml (secrets and
config maps from the directories beside it), starts the listener (default: the first one) on a free
loopback port, connects once with MQTT 5 and prints each method in order: relevant or not and why,
valid or not and why, the attributes granted, and the method that ended the chain.
--cert/--key present a TLS client certificate (the listener must have TLS). --method GSSAPI-KERBEROS
authenticates with the lab realm's ticket for mqtt@localhost (the lab is brought up if needed); another
--method is sent as the CONNECT's Authentication Method without data. Exit status 0 when the
connection was allowed, 1 when it was denied.
--json prints { "allowed", "endedBy" (null when no method was relevant), "attributes",
"trace": [ { "method", "relevant", "valid" (null when not relevant or not judged), "why" } ] }.`,
  positionals: { min: 1, max: 1 },
  options: {
    listener: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    cert: { type: 'string' },
    key: { type: 'string' },
    method: { type: 'string' },
    'client-id': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(input) {
    const { io, values, positionals } = input;
    const cert = str(input, 'cert');
    const key = str(input, 'key');
    if (Boolean(cert) !== Boolean(key)) throw new UsageError('--cert and --key go together', chainTestCommand);
    const password = await passwordFrom(input);
    const optional = { listener: str(input, 'listener'), username: str(input, 'username'), password, method: str(input, 'method'), clientId: str(input, 'client-id') };
    const test: ChainTestInput = {
      file: path.resolve(positionals[0]!),
      ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
      ...(cert && key ? { certFile: path.resolve(cert), keyFile: path.resolve(key) } : {}),
    };
    const result = await invokeService(input.engine(), 'chain', 'test', test);
    io.stdout(values.json ? json(chainTestJson(result)) : traceText(result));
    return result.allowed ? EXIT_OK : EXIT_FAILURE;
  },
};
