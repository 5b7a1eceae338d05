/**
 * `kbench http serve|role-mapping|probe`: SPNEGO over HTTP. `serve` runs the endpoint through the
 * `http` service in the foreground and prints one line per request verdict (from its
 * `http.exchange` events); `role-mapping` reads and tests the stored mappings through the service.
 */
import { readFile } from 'node:fs/promises';
import type { HttpEndpointStatus, HttpServeOptions, RoleMappingTestResult, RoleRuleTrace } from '../../api/http';
import type { Exchange } from '../../api';
import { BenchFailure } from '../../engine/failure';
import { logSafe } from '../../system/log-safe';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command, type CommandInput } from '../command';
import { invokeService } from '../invoke';
import { readStdin, str, type CliIoWithStdin } from '../password-options';
import { httpProbeCommand } from './http-probe';

/** One line per request: time, request, status, who, the path taken and why. Client-chosen text escaped. */
export function requestLine(exchange: Exchange): string {
  const meta = exchange.meta ?? {};
  const status = exchange.steps.at(-1)?.transport.packet ?? '?';
  const who = exchange.identity?.mapped ?? exchange.identity?.principal;
  const principal = exchange.identity?.principal && exchange.identity.principal !== who ? ` (${exchange.identity.principal})` : '';
  return `${new Date().toISOString()} ${logSafe(meta.request ?? '?')} → ${status} ${who ? logSafe(who) + logSafe(principal) : '-'} [${meta.path ?? '?'}] ${logSafe(exchange.mechanism)} — ${logSafe(meta.why ?? exchange.verdict.reason)}\n`;
}

/** The acceptor's trace (MIT's KRB5_TRACE or Java's sun.security.krb5.debug lines) of each step, indented. */
function debugLines(exchange: Exchange): string {
  return exchange.steps
    .flatMap((step) => step.trace ?? [])
    .map((line) => `    krb.debug ${logSafe(line)}\n`)
    .join('');
}

function portOption(input: CommandInput): number | undefined {
  const text = str(input, 'port');
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError('--port is a whole number from 0 to 65535', httpServeCommand);
  return port;
}

function serveOptions(input: CommandInput): HttpServeOptions {
  const mode = str(input, 'mode') ?? 'elasticsearch';
  if (mode !== 'elasticsearch' && mode !== 'sso') throw new UsageError('--mode must be elasticsearch or sso', httpServeCommand);
  const engine = str(input, 'engine') ?? 'mit';
  if (engine !== 'mit' && engine !== 'java') throw new UsageError('--engine must be mit or java', httpServeCommand);
  const sso = str(input, 'sso');
  if (sso !== undefined && sso !== 'on' && sso !== 'off') throw new UsageError('--sso must be on or off', httpServeCommand);
  const custom = ['keytab', 'spn', 'config'].some((name) => str(input, name) !== undefined) && !input.values.lab;
  const port = portOption(input);
  const options: HttpServeOptions = { mode, credentials: custom ? 'custom' : 'lab', engine };
  const copy: [keyof HttpServeOptions, unknown][] = [
    ['realm', str(input, 'realm')],
    ['port', port],
    ['spn', str(input, 'spn')],
    ['keytab', str(input, 'keytab')],
    ['esConfig', str(input, 'config')],
    ['removeRealmName', input.values['remove-realm-name'] ? true : undefined],
    ['basic', input.values.basic ? true : undefined],
    ['ssoEnabled', sso === undefined ? undefined : sso === 'on'],
  ];
  for (const [key, value] of copy) if (value !== undefined) Object.assign(options, { [key]: value });
  return options;
}

function banner(status: HttpEndpointStatus): string[] {
  const lines = [
    `Kerberos Bench HTTP endpoint (${status.mode} mode, ${status.engine === 'java' ? 'Java' : 'MIT'} engine): ${status.spn === '*' ? 'any principal in the keytab' : status.spn}, keytab ${status.keytab}`,
    `  listening on ${status.url}${status.fellBack ? ' (default port taken)' : ''}`,
  ];
  if (status.realm) lines.push(`  Kerberos realm ${status.realm.name} (order ${status.realm.order}), remove_realm_name ${status.realm.removeRealmName}; Basic ${status.basic ? 'offered' : 'off'}`);
  if (status.mode === 'sso') lines.push(`  Kerberos single sign-on ${status.ssoEnabled ? 'enabled' : 'disabled'}; Basic fallback against the local users`);
  const users = (status.users ?? []).map((u) => `${u.name}${u.admin ? ' (admin)' : ''}`).join(', ');
  lines.push(`  local users: ${users} — initial passwords in ${status.passwordsFile} (0600; --reveal prints them)`);
  const target = status.mode === 'sso' ? `${status.url}/` : `${status.url}/_security/_authenticate`;
  lines.push(`  try: curl --negotiate -u : ${target}`);
  return lines;
}

export const httpServeCommand: Command = {
  name: 'serve',
  summary: 'run the SPNEGO endpoint (Elasticsearch Kerberos realm or web console with SSO) in the foreground',
  usage: [
    'http serve [--lab] [--realm R] [--mode elasticsearch|sso] [--port N] [--spn HTTP/host@REALM|*] [--keytab KT] [--config elasticsearch.yml] [--remove-realm-name] [--basic] [--sso on|off] [--engine mit|java] [--reveal]',
  ],
  details: `Listens on 127.0.0.1 (URL http://localhost:PORT; default port 9200 for elasticsearch, 8090 for
sso, a free one when taken; --port 0 picks a free one). --lab (the default unless --keytab, --spn
or --config is given) uses the lab realm's HTTP/localhost and service keytab. --spn "*" accepts any
principal the keytab holds, as an ES node does. --config reads the Kerberos realm from an
elasticsearch.yml (keytab.path, remove_realm_name, order, krb.debug). --basic also offers ES's
Basic realm="security". In sso mode Basic is the console's fallback; --sso off starts with single
sign-on disabled. Local users admin and viewer get random passwords on first use, kept in a 0600
file under the data directory; --reveal prints them. Prints one line per request; Ctrl+C stops.`,
  options: {
    lab: { type: 'boolean' },
    realm: { type: 'string' },
    mode: { type: 'string' },
    port: { type: 'string' },
    spn: { type: 'string' },
    keytab: { type: 'string' },
    config: { type: 'string' },
    'remove-realm-name': { type: 'boolean' },
    basic: { type: 'boolean' },
    sso: { type: 'string' },
    engine: { type: 'string' },
    reveal: { type: 'boolean' },
  },
  async run(input) {
    const { io } = input;
    const options = serveOptions(input);
    const engine = input.engine();
    let krbDebug = false;
    const unsubscribe = engine.events.subscribe((event) => {
      if (event.name !== 'http.exchange') return;
      io.stdout(requestLine(event.payload));
      if (event.payload.meta?.log) io.stdout(`${new Date().toISOString()} ${logSafe(event.payload.meta.log)}\n`);
      if (krbDebug) io.stdout(debugLines(event.payload));
    });
    const status = await engine.api.http.serve(options);
    // krb.debug: true in the yml — like an ES node, the Kerberos debug output goes to the log.
    krbDebug = status.realm?.krbDebug ?? false;
    for (const line of banner(status)) io.stdout(`${line}\n`);
    if (input.values.reveal) {
      const passwords = await engine.api.http.revealUserPasswords();
      for (const [name, password] of Object.entries(passwords)) io.stdout(`  ${name}: ${password}\n`);
    }
    io.stdout('Press Ctrl+C to stop.\n');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    unsubscribe();
    await engine.api.http.stop();
    return EXIT_OK;
  },
};

function traceLines(trace: RoleRuleTrace, depth: number): string[] {
  const mark = trace.matched ? '✓' : '✗';
  return [`${'  '.repeat(depth)}${mark} ${trace.rule} — ${trace.why}`, ...(trace.children ?? []).flatMap((child) => traceLines(child, depth + 1))];
}

function formatTest(result: RoleMappingTestResult): string {
  const lines = [`user ${result.user.username} (realm ${result.user.realmName}): roles [${result.roles.join(', ')}]`];
  if (result.mappings.length === 0) lines.push('  no role mappings are stored (PUT /_security/role_mapping/NAME, or kbench http role-mapping put NAME FILE)');
  for (const mapping of result.mappings) {
    lines.push(`  ${mapping.name}: ${mapping.matched ? `grants [${mapping.granted.join(', ')}]` : 'no roles'} — ${mapping.why}`);
    if (mapping.trace) lines.push(...traceLines(mapping.trace, 2));
  }
  return `${lines.join('\n')}\n`;
}

const roleMappingTestCommand: Command = {
  name: 'test',
  summary: 'evaluate the stored role mappings for a principal, with a trace of every rule',
  usage: ['http role-mapping test --user PRINCIPAL [--remove-realm-name] [--realm-name NAME] [--json]'],
  options: { user: { type: 'string' }, 'remove-realm-name': { type: 'boolean' }, 'realm-name': { type: 'string' }, json: { type: 'boolean' } },
  async run(input) {
    const principal = str(input, 'user');
    if (!principal) throw new UsageError('--user PRINCIPAL is required (alice@BENCH.TEST, or alice for the lab realm)', roleMappingTestCommand);
    const realmName = str(input, 'realm-name');
    const result = await input.engine().api.http.testRoleMapping({
      principal,
      ...(input.values['remove-realm-name'] ? { removeRealmName: true } : {}),
      ...(realmName ? { realmName } : {}),
    });
    input.io.stdout(input.values.json ? `${JSON.stringify(result, null, 2)}\n` : formatTest(result));
    return EXIT_OK;
  },
};

const roleMappingListCommand: Command = {
  name: 'list',
  summary: 'print the stored role mappings (as GET /_security/role_mapping answers)',
  usage: ['http role-mapping list'],
  async run(input) {
    input.io.stdout(`${JSON.stringify(await input.engine().api.http.roleMappings(), null, 2)}\n`);
    return EXIT_OK;
  },
};

const roleMappingPutCommand: Command = {
  name: 'put',
  summary: 'create or replace a role mapping from a JSON file (- for stdin), checked as ES checks it',
  usage: ['http role-mapping put NAME FILE|-'],
  positionals: { min: 2, max: 2 },
  async run(input) {
    const [name, file] = input.positionals as [string, string];
    const text = file === '-' ? await readStdin(input.io as CliIoWithStdin) : await readFile(file, 'utf8');
    // The service parses the body as ES does; an invalid one fails with ES's error body as details.
    let result: { created: boolean };
    try {
      result = await invokeService(input.engine(), 'http', 'putRoleMapping', name, text);
    } catch (error) {
      if (!(error instanceof BenchFailure) || error.details === undefined) throw error;
      input.io.stderr(`${JSON.stringify(error.details, null, 2)}\n`);
      return EXIT_FAILURE;
    }
    input.io.stdout(`${JSON.stringify({ role_mapping: result })}\n`);
    return EXIT_OK;
  },
};

const roleMappingDeleteCommand: Command = {
  name: 'delete',
  summary: 'delete a stored role mapping',
  usage: ['http role-mapping delete NAME'],
  positionals: { min: 1, max: 1 },
  async run(input) {
    const result = await input.engine().api.http.deleteRoleMapping(input.positionals[0]!);
    input.io.stdout(`${JSON.stringify(result)}\n`);
    return result.found ? EXIT_OK : EXIT_FAILURE;
  },
};

const roleMappingCommand: Command = {
  name: 'role-mapping',
  summary: 'Elasticsearch role mappings kept in the data directory: test, list, put, delete',
  usage: ['http role-mapping test|list|put|delete'],
  subcommands: [roleMappingTestCommand, roleMappingListCommand, roleMappingPutCommand, roleMappingDeleteCommand],
};

export const httpCommand: Command = {
  name: 'http',
  summary: 'SPNEGO over HTTP: an Elasticsearch-style or web-SSO endpoint, a Negotiate probe, role mappings',
  usage: ['http serve …', 'http probe URL', 'http role-mapping test|list|put|delete'],
  subcommands: [httpServeCommand, httpProbeCommand, roleMappingCommand],
};
