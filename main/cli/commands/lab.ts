import path from 'node:path';
import type { LabPrincipal, LabShellEnv, LabStatus, LabTarget } from '../../api/lab';
import type { Engine } from '../../engine';
import { BenchFailure } from '../../engine/failure';
import { EXIT_OK, UsageError, type CliIo, type Command, type CommandInput } from '../command';
import { passwordFrom, str } from '../password-options';
import { json, padEnd } from '../format';
import { invokeService } from '../invoke';
import { accountTable, domainLines, labAccountCommand, labSpnCommand } from './lab-ad';
import { COMMON, labTarget, PASSWORD_HELP, REALM_HELP, upHint } from './lab-options';

// ---- options ---------------------------------------------------------------------------------

function target(input: CommandInput): LabTarget {
  return labTarget(input);
}

const lab = (input: CommandInput) => input.engine().api.lab;

// ---- output ----------------------------------------------------------------------------------

/** A value a POSIX shell reads back unchanged. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function exportLines(env: LabShellEnv): string {
  return Object.entries(env)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join('');
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

function offsetText(seconds: number): string {
  return seconds === 0 ? 'none' : `${seconds > 0 ? '+' : ''}${seconds} s`;
}

function principalTable(principals: readonly LabPrincipal[]): string {
  const width = Math.max(9, ...principals.map((p) => p.name.length)) + 2;
  const header = `${padEnd('Principal', width)}${padEnd('Kind', 9)}KVNO  Flags                Enctypes`;
  const rows = principals.map((p) => {
    const flags = [p.flags.requiresPreauth ? '+preauth' : '-preauth', p.flags.allowTix ? '+allow_tix' : '-allow_tix'].join(' ');
    return `${padEnd(p.name, width)}${padEnd(p.kind, 9)}${String(p.kvno).padStart(4)}  ${padEnd(flags, 21)}${p.enctypes.join(', ')}`;
  });
  return [header, ...rows].join('\n');
}

/** What runs a realm's KDC, in words: "KDC" (MIT krb5kdc) or "AD DC" (Samba). */
const kdcWord = (status: Pick<LabStatus, 'kind'>) => (status.kind === 'ad' ? 'AD DC' : 'KDC');
const KIND_TEXT = { mit: 'MIT (krb5kdc)', ad: 'AD (Samba AD DC)' } as const;

function statusText(status: LabStatus): string {
  if (status.state === 'absent') return `Lab realm ${status.realm}: absent (${upHint(status.realm, status.kind)} creates it in ${status.dir})\n`;
  const kdc =
    status.state === 'running'
      ? `running on ${status.kdc}, pid ${status.pid}${status.uptimeSeconds !== null ? `, up ${duration(status.uptimeSeconds)}` : ''}`
      : `stopped (port ${status.port})`;
  return [
    `Lab realm ${status.realm}: ${kdcWord(status)} ${kdc}`,
    `  kind             ${KIND_TEXT[status.kind]}`,
    ...(status.ad ? domainLines(status.ad) : []),
    `  clock offset     ${offsetText(status.clockOffsetSeconds)}`,
    `  krb5.conf        ${status.krb5Conf}`,
    `  service keytab   ${status.keytabs.service}`,
    `  client keytab    ${status.keytabs.client}`,
    `  ccache           ${status.ccache.path}${status.ccache.tgtExpires ? ` (TGT until ${status.ccache.tgtExpires})` : ' (no TGT)'}`,
    ...status.staleKeytabs.map((s) => `  stale keytab     ${s.path} (${s.principal} up to kvno ${s.kvno})`),
    ...(status.lastChange ? [`  last change      ${status.lastChange.summary} (kbench lab undo reverts it)`] : []),
    '',
    principalTable(status.principals),
    ...(status.ad ? ['', accountTable(status.ad.accounts)] : []),
    '',
  ].join('\n');
}

function printStatus(input: CommandInput, status: LabStatus): number {
  input.io.stdout(input.values.json ? json(status) : statusText(status));
  return EXIT_OK;
}

// ---- start / web: the lab before serving --------------------------------------------------------

/**
 * `kbench start` and `kbench web` bring the lab realm up before serving (unless --no-lab). When it
 * cannot come up (MIT tools missing…) they say why and serve anyway: the Doctor view says what to
 * install.
 */
export async function bringLabUpForServing(io: CliIo, engine: Engine, skip: boolean): Promise<void> {
  if (skip) {
    io.stdout('Lab realm not started (--no-lab).\n');
    return;
  }
  try {
    const up = await engine.api.lab.up();
    const what = up.created ? 'created and started' : up.started ? 'started' : 'already running';
    io.stdout(`Lab realm ${up.realm}: ${what}, KDC ${up.kdc} (pid ${up.pid}, ${up.elapsedMs} ms)\n`);
    for (const note of up.notes) io.stdout(`  ${note}\n`);
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    io.stdout(`Lab realm not started: ${reason}\nThe bench runs without it; the Doctor view (kbench doctor) says what to install.\n`);
  }
}

// ---- subcommands -----------------------------------------------------------------------------

const upCommand: Command = {
  name: 'up',
  summary: 'create the lab realm if needed, start its KDC, get alice a TGT',
  usage: ['lab up [--kind mit|ad] [--realm R] [--json | --env]'],
  details:
    'Idempotent: creates the realm when missing (alice with a random password, her keytab and TGT;\n' +
    'mqtt/localhost, HTTP/localhost and hz/127.0.0.1 in the service keytab), starts krb5kdc on a free\n' +
    'loopback port when it is not running (it keeps running after this command exits), renews alice\'s\n' +
    'TGT when it ends within 10 minutes, and cleans up after crashed runs first (orphaned KDCs,\n' +
    'leftover temporary TMP-… realms, stale pid files, a port taken by another program).\n\n' +
    '--kind ad makes an Active Directory realm instead (AD.TEST): a Samba AD DC on 127.0.0.1 (KDC and\n' +
    'kpasswd on free ports, LDAP on 389), with alice and the service accounts svc-mqtt, svc-http and\n' +
    'svc-hz holding the same SPNs. The first one provisions a template domain (about 20 s), later\n' +
    'ones copy it (about a second). It must run as root, and one AD lab runs at a time (LDAP 389).\n\n' +
    '--json prints { "realm", "kind": "mit"|"ad", "kdc", "krb5Conf", "principals", "keytabs": { "service", "client" },\n' +
    '"env": { "KRB5_CONFIG", "KRB5CCNAME", "KRB5_KTNAME" } }; env is what a shell exports to act as alice\n' +
    'against the lab\'s services (kbench lab status --json adds an AD realm\'s domain and accounts). --env\n' +
    'prints only the export lines:\n' +
    '  eval "$(kbench lab up --env)" && klist && kvno mqtt/localhost\n\n' +
    REALM_HELP,
  options: { ...COMMON, env: { type: 'boolean' } },
  async run(input) {
    if (input.values.json && input.values.env) throw new UsageError('give --json or --env, not both');
    const up = await lab(input).up(target(input));
    const { io, values } = input;
    if (values.json) {
      io.stdout(json({ realm: up.realm, kind: up.kind, kdc: up.kdc, krb5Conf: up.krb5Conf, principals: up.principals, keytabs: up.keytabs, env: up.env }));
    } else if (values.env) {
      io.stdout(exportLines(up.env));
    } else {
      const server = up.kind === 'ad' ? 'DC' : 'KDC';
      const what = up.created ? `created, ${server} started` : up.started ? `${server} started` : 'already up';
      io.stdout(`${up.kind === 'ad' ? 'AD lab' : 'Lab'} realm ${up.realm} ${what} in ${up.elapsedMs} ms: KDC ${up.kdc}, pid ${up.pid}\n`);
      for (const note of up.notes) io.stdout(`  note: ${note}\n`);
      if (up.ad) io.stdout(`${domainLines(up.ad).join('\n')}\n  accounts         ${up.ad.accounts.map((a) => a.name).join(', ')}\n`);
      io.stdout(`  principals       ${up.principals.map((p) => p.name).join(', ')}\n`);
      io.stdout(`  service keytab   ${up.keytabs.service}\n  client keytab    ${up.keytabs.client}\n  krb5.conf        ${up.krb5Conf}\n`);
      const again = `kbench lab up${up.kind === 'ad' ? ' --kind ad' : ''}${up.realm === 'BENCH.TEST' || up.realm === 'AD.TEST' ? '' : ` --realm ${up.realm}`} --env`;
      io.stdout(`\n# act as alice against the lab's services (or: eval "$(${again})"):\n${exportLines(up.env)}`);
    }
    return EXIT_OK;
  },
};

const downCommand: Command = {
  name: 'down',
  summary: 'stop the lab KDC or AD DC (--destroy: and delete the realm)',
  usage: ['lab down [--destroy] [--kind mit|ad] [--realm R] [--json]'],
  details: REALM_HELP,
  options: { ...COMMON, destroy: { type: 'boolean' } },
  async run(input) {
    const status = await lab(input).down({ ...target(input), ...(input.values.destroy ? { destroy: true } : {}) });
    if (input.values.json) input.io.stdout(json(status));
    else input.io.stdout(input.values.destroy ? `Lab realm ${status.realm} (${status.kind === 'ad' ? 'AD' : 'MIT'}) destroyed.\n` : `Lab realm ${status.realm}: ${kdcWord(status)} stopped.\n`);
    return EXIT_OK;
  },
};

const statusCommand: Command = {
  name: 'status',
  summary: 'the lab realm: its kind, KDC state, port, principals, keytabs, ticket, clock offset (AD: domain, accounts)',
  usage: ['lab status [--kind mit|ad] [--realm R] [--json]'],
  details:
    'An AD realm also shows its domain (NetBIOS name, base DN, LDAP, kpasswd) and an accounts table: kind,\n' +
    'SPNs, kvno, enctypes, enabled / expired / must-change / pre-authentication, and the AES salt.\n' +
    '--json prints { "realm", "kind": "mit"|"ad", "state": "absent"|"stopped"|"running", "pid", "port", "kdc",\n' +
    '"uptimeSeconds", "principals": [ { "name", "kind", "kvno", "enctypes", "flags": { "requiresPreauth", "allowTix" }, … } ],\n' +
    '"keytabs", "ccache": { "path", "tgtExpires" }, "krb5Conf", "clockOffsetSeconds", "env", "ad": null | { "netbios",\n' +
    '"baseDn", "ldap", "kpasswd", "accounts" }, … }.\n' +
    'Passwords never appear: kbench lab password NAME --show prints one.\n\n' +
    REALM_HELP,
  options: COMMON,
  async run(input) {
    return printStatus(input, await lab(input).status(target(input)));
  },
};

const principalAdd: Command = {
  name: 'add',
  summary: 'add a user (with a password) or a service (random key, in the service keytab)',
  usage: ['lab principal add NAME (--password P | --password-stdin | --random) [--kind mit|ad] [--realm R] [--json]'],
  details: `A name with a "/" (svc/host) and no password gets a random key, like --random.\n${PASSWORD_HELP}`,
  options: { ...COMMON, password: { type: 'string' }, 'password-stdin': { type: 'boolean' }, random: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const name = input.positionals[0]!;
    const explicit = str(input, 'password') !== undefined || input.values['password-stdin'] === true;
    if (input.values.random && explicit) throw new UsageError('give --random or a password, not both');
    const password = input.values.random ? undefined : await passwordFrom(input);
    let status: LabStatus;
    if (password !== undefined) status = await lab(input).addPrincipal({ ...target(input), name, password });
    else if (input.values.random || name.includes('/')) status = await lab(input).addPrincipal({ ...target(input), name, random: true });
    else throw new UsageError(`${name} looks like a user: give --password P, --password-stdin or KBENCH_PASSWORD (or --random for a random key)`);
    if (input.values.json) return printStatus(input, status);
    const added = status.principals.find((p) => p.name === name || p.name === `${name}@${status.realm}`);
    input.io.stdout(`added ${added?.name ?? name} (kvno ${added?.kvno ?? '?'})${added?.inServiceKeytab ? ` to ${status.keytabs.service}` : ''}\n`);
    return EXIT_OK;
  },
};

const principalRemove: Command = {
  name: 'rm',
  summary: 'delete a principal (and its service keytab entries)',
  usage: ['lab principal rm NAME [--kind mit|ad] [--realm R] [--json]'],
  options: COMMON,
  positionals: { min: 1, max: 1 },
  async run(input) {
    const status = await lab(input).removePrincipal({ ...target(input), name: input.positionals[0]! });
    if (input.values.json) return printStatus(input, status);
    input.io.stdout(`removed ${input.positionals[0]}\n`);
    return EXIT_OK;
  },
};

const principalRotate: Command = {
  name: 'rotate',
  summary: 'new random keys (kvno + 1), keeping the old service keytab as a stale copy',
  usage: ['lab principal rotate NAME [--kind mit|ad] [--realm R] [--json]'],
  details:
    'Copies the service keytab to NAME.kvnoN.keytab (N: the kvno before) in the realm directory, then\n' +
    'ktadd gives the principal new keys and appends them to the service keytab. The copy is a stale\n' +
    'keytab: tickets for the new kvno fail with it ("keytab is likely out of date"). krbtgt keeps its\n' +
    'old keys (-keepold). Users with a password: kbench lab password NAME.\n' +
    '--json prints { "principal", "oldKvno", "newKvno", "staleKeytab" }.',
  options: COMMON,
  positionals: { min: 1, max: 1 },
  async run(input) {
    const { status: _status, ...rotation } = await lab(input).rotateKey({ ...target(input), name: input.positionals[0]! });
    if (input.values.json) input.io.stdout(json(rotation));
    else input.io.stdout(`${rotation.principal}: kvno ${rotation.oldKvno} → ${rotation.newKvno}${rotation.staleKeytab ? `; the old keytab is ${rotation.staleKeytab}` : ''} (kbench lab undo reverts it)\n`);
    return EXIT_OK;
  },
};

const principalFlags: Command = {
  name: 'flags',
  summary: 'set requires_preauth / allow_tix',
  usage: ['lab principal flags NAME [--requires-preauth | --no-requires-preauth] [--allow-tix | --no-allow-tix] [--kind mit|ad] [--realm R] [--json]'],
  details: 'kadmin modprinc +/-requires_preauth, +/-allow_tix. Without a flag: prints the current ones.',
  options: {
    ...COMMON,
    'requires-preauth': { type: 'boolean' },
    'no-requires-preauth': { type: 'boolean' },
    'allow-tix': { type: 'boolean' },
    'no-allow-tix': { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const { values } = input;
    const pick = (on: string, off: string): boolean | undefined => {
      if (values[on] && values[off]) throw new UsageError(`give --${on} or --${off}, not both`);
      return values[on] ? true : values[off] ? false : undefined;
    };
    const requiresPreauth = pick('requires-preauth', 'no-requires-preauth');
    const allowTix = pick('allow-tix', 'no-allow-tix');
    const name = input.positionals[0]!;
    const status =
      requiresPreauth === undefined && allowTix === undefined
        ? await lab(input).status(target(input))
        : await lab(input).setFlags({ ...target(input), name, ...(requiresPreauth !== undefined ? { requiresPreauth } : {}), ...(allowTix !== undefined ? { allowTix } : {}) });
    const principal = status.principals.find((p) => p.name === name || p.name === `${name}@${status.realm}`);
    if (!principal) throw new BenchFailure(`no principal ${name} in lab realm ${status.realm}`);
    if (values.json) input.io.stdout(json({ name: principal.name, flags: principal.flags }));
    else input.io.stdout(`${principal.name}: ${principal.flags.requiresPreauth ? '+' : '-'}requires_preauth ${principal.flags.allowTix ? '+' : '-'}allow_tix\n`);
    return EXIT_OK;
  },
};

const principalCommand: Command = {
  name: 'principal',
  summary: 'add, remove, rotate keys of and flag principals',
  usage: ['lab principal add|rm|rotate|flags …'],
  subcommands: [principalAdd, principalRemove, principalRotate, principalFlags],
};

const passwordCommand: Command = {
  name: 'password',
  summary: "set a principal's password (or --show the one the lab knows)",
  usage: ['lab password NAME (--password P | --password-stdin | --show) [--kind mit|ad] [--realm R] [--json]'],
  details:
    'Sets a new password (kvno + 1); the lab\'s keytabs that held the principal get the new keys (alice\'s\n' +
    'client keytab is exported again). --show prints the password the lab set or was given (alice\'s is\n' +
    `random per realm) — passwords appear nowhere else.\n${PASSWORD_HELP}`,
  options: { ...COMMON, password: { type: 'string' }, 'password-stdin': { type: 'boolean' }, show: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const name = input.positionals[0]!;
    if (input.values.show) {
      if (str(input, 'password') !== undefined || input.values['password-stdin']) throw new UsageError('--show prints the password; it does not set one');
      const revealed = await lab(input).revealPassword({ ...target(input), name });
      input.io.stdout(input.values.json ? json(revealed) : `${revealed.password}\n`);
      return EXIT_OK;
    }
    const password = await passwordFrom(input);
    if (password === undefined || password === '') throw new UsageError('needs --password P, --password-stdin or KBENCH_PASSWORD (or --show)');
    const status = await lab(input).setPassword({ ...target(input), name, password });
    if (input.values.json) return printStatus(input, status);
    const principal = status.principals.find((p) => p.name === name || p.name === `${name}@${status.realm}`);
    input.io.stdout(`new password for ${principal?.name ?? name} (kvno ${principal?.kvno ?? '?'})\n`);
    return EXIT_OK;
  },
};

const exportKeytabCommand: Command = {
  name: 'export-keytab',
  summary: 'write a keytab for chosen principals, optionally only some enctypes',
  usage: ['lab export-keytab OUT --principal P [--principal P2 …] [--enctypes E1,E2] [--new-keys] [--force] [--kind mit|ad] [--realm R] [--json]'],
  details:
    'Writes OUT (replacing it) with the principals\' current keys, as ktadd -norandkey: nothing changes in\n' +
    'the realm. --enctypes keeps only those enctypes (a keytab lacking the ticket\'s enctype, say).\n' +
    '--new-keys makes new random keys of just those enctypes instead (ktadd -e, kvno + 1; services only):\n' +
    'the KDC then issues tickets with them, and the lab\'s service keytab gets them too.\n' +
    'OUT is written 0600; an existing OUT that is not a keytab is not replaced unless --force.\n' +
    '--json prints { "path", "entries": [ { "principal", "kvno", "enctype" } ] }.',
  options: { ...COMMON, principal: { type: 'string', multiple: true }, enctypes: { type: 'string' }, 'new-keys': { type: 'boolean' }, force: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const principals = (input.values.principal as string[] | undefined) ?? [];
    if (!principals.length) throw new UsageError('name at least one --principal');
    const enctypesText = str(input, 'enctypes');
    const enctypes = enctypesText?.split(',').map((e) => e.trim()).filter(Boolean);
    if (enctypesText !== undefined && !enctypes?.length) throw new UsageError('--enctypes is empty');
    const result = await lab(input).exportKeytab({
      ...target(input),
      path: path.resolve(input.positionals[0]!),
      principals,
      ...(enctypes ? { enctypes } : {}),
      ...(input.values['new-keys'] ? { newKeys: true } : {}),
      ...(input.values.force ? { replace: true } : {}),
    });
    if (input.values.json) input.io.stdout(json(result));
    else {
      input.io.stdout(`wrote ${result.entries.length} entr${result.entries.length === 1 ? 'y' : 'ies'} to ${result.path}\n`);
      for (const e of result.entries) input.io.stdout(`  ${String(e.kvno).padStart(4)} ${e.principal} ${e.enctype}\n`);
    }
    return EXIT_OK;
  },
};

/** "600", "-600", "+10m", "-2h", "30s" → seconds. */
export function parseOffset(text: string): number {
  const match = /^([+-]?\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) throw new UsageError(`--offset must be whole seconds, optionally with s, m, h or d ("-600", "+10m"), not "${text}"`);
  const seconds = Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  if (Math.abs(seconds) > 10 * 366 * 86400) throw new UsageError('--offset is limited to ten years either way');
  return seconds;
}

const clockCommand: Command = {
  name: 'clock',
  summary: "shift the KDC's clock (krb5kdc -T; an AD DC under libfaketime): clock-skew scenarios",
  usage: ['lab clock --offset SECONDS [--kind mit|ad] [--realm R] [--json]'],
  details:
    'Restarts the KDC with the offset (0 puts it back) and gets alice a TGT on the new clock. A negative\n' +
    'offset needs "=": --offset=-600. Units: s, m, h, d (--offset=+10m). MIT clients learn the KDC\'s time\n' +
    'from its first reply: kinit still works and its tickets carry the shifted times (klist shows them);\n' +
    'services on this machine then see tickets "not yet valid" or a "Clock skew too great".\n' +
    'An AD realm\'s DC has no -T: it restarts under libfaketime (the Debian package libfaketime).',
  options: { ...COMMON, offset: { type: 'string' } },
  async run(input) {
    const offset = str(input, 'offset');
    if (offset === undefined) throw new UsageError('--offset SECONDS is required');
    const status = await lab(input).setClockOffset({ ...target(input), seconds: parseOffset(offset) });
    if (input.values.json) return printStatus(input, status);
    input.io.stdout(`${kdcWord(status)} clock offset: ${offsetText(status.clockOffsetSeconds)}${status.state === 'running' ? ` (${kdcWord(status)} restarted, pid ${status.pid})` : ` (applies when the ${kdcWord(status)} starts)`}\n`);
    return EXIT_OK;
  },
};

const kdcStart: Command = {
  name: 'start',
  summary: 'start the lab KDC (the realm must exist)',
  usage: ['lab kdc start [--kind mit|ad] [--realm R] [--json]'],
  options: COMMON,
  async run(input) {
    const status = await lab(input).startKdc(target(input));
    if (input.values.json) return printStatus(input, status);
    input.io.stdout(`KDC running on ${status.kdc}, pid ${status.pid}\n`);
    return EXIT_OK;
  },
};

const kdcStop: Command = {
  name: 'stop',
  summary: 'stop the lab KDC, keep the realm',
  usage: ['lab kdc stop [--kind mit|ad] [--realm R] [--json]'],
  options: COMMON,
  async run(input) {
    const status = await lab(input).stopKdc(target(input));
    if (input.values.json) return printStatus(input, status);
    input.io.stdout(`KDC of ${status.realm} stopped\n`);
    return EXIT_OK;
  },
};

const kdcCommand: Command = {
  name: 'kdc',
  summary: 'start or stop only the KDC',
  usage: ['lab kdc start|stop …'],
  subcommands: [kdcStart, kdcStop],
};

const logCommand: Command = {
  name: 'log',
  summary: 'the last lines of the KDC log (--follow: and new ones as they come)',
  usage: ['lab log [--lines N] [--follow] [--kind mit|ad] [--realm R] [--json]'],
  details: 'Default 50 lines. --follow keeps printing until Ctrl+C. --json prints { "realm", "path", "lines" } (no --follow).',
  options: { ...COMMON, lines: { type: 'string' }, follow: { type: 'boolean' } },
  async run(input) {
    const linesText = str(input, 'lines') ?? '50';
    if (!/^\d+$/.test(linesText) || Number(linesText) > 5000) throw new UsageError(`--lines must be 0..5000, not "${linesText}"`);
    if (input.values.json && input.values.follow) throw new UsageError('--follow prints lines as they come: not with --json');
    const log = await invokeService(input.engine(), 'lab', 'log', { ...target(input), lines: Number(linesText) });
    if (input.values.json) {
      input.io.stdout(json(log));
      return EXIT_OK;
    }
    for (const line of log.lines) input.io.stdout(`${line}\n`);
    if (!input.values.follow) return EXIT_OK;
    // The lab service follows the log it was asked for and emits what the KDC appends (as the Lab view gets it).
    const stopFollowing = input.engine().events.subscribe((event) => {
      if (event.name === 'lab.kdcLog' && event.payload.realm === log.realm) event.payload.lines.forEach((line) => input.io.stdout(`${line}\n`));
    });
    const keepAlive = setInterval(() => {}, 1 << 30);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    clearInterval(keepAlive);
    stopFollowing();
    return EXIT_OK;
  },
};

const undoCommand: Command = {
  name: 'undo',
  summary: 'revert the latest rotate, flags, rm or password change (its kvno, keys, flags, keytab entries)',
  usage: ['lab undo [--id ID] [--kind mit|ad] [--realm R] [--json]'],
  details:
    'Before each of those changes the lab dumps the principal\'s database entry (kdb5_util dump FILE NAME)\n' +
    'and keeps its keytab entries and password; undo loads the entry back (kdb5_util load -update) and\n' +
    'restores them. Newest first; refused when the principal was changed since by something without an\n' +
    'undo. --id undoes that change only if it is the latest (the Lab view passes the one it shows).\n' +
    '--json prints { "change": { "id", "operation", "principal", "summary", "undo", "at" }, "restored" }.\n\n' +
    REALM_HELP,
  options: { ...COMMON, id: { type: 'string' } },
  async run(input) {
    const id = str(input, 'id');
    const { status: _status, ...undone } = await invokeService(input.engine(), 'lab', 'undo', { ...target(input), ...(id ? { id } : {}) });
    if (input.values.json) input.io.stdout(json(undone));
    else input.io.stdout(`undone: ${undone.change.summary}\n${undone.restored.map((r) => `  ${r}\n`).join('')}`);
    return EXIT_OK;
  },
};

export const labCommand: Command = {
  name: 'lab',
  summary: 'the bench\'s lab realms, MIT or AD (--kind ad): up, down, status, principals, accounts, SPNs, keys, clock',
  usage: ['lab up|down|status|principal|account|spn|password|export-keytab|clock|kdc|log|undo …'],
  details: REALM_HELP,
  subcommands: [upCommand, downCommand, statusCommand, principalCommand, labAccountCommand, labSpnCommand, passwordCommand, exportKeytabCommand, clockCommand, kdcCommand, logCommand, undoCommand],
};
