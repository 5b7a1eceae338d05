/**
 * An EMQX configuration's authenticators, from the values com.typesafe.config read (each with
 * its line): the Kerberos one (mechanism = gssapi, backend = kerberos) is understood, every other
 * value is reported as unused with why, and what EMQX itself would refuse is a problem with the
 * line and the fix — in EMQX's words where it has some (invalid_server_principal_string,
 * unknown_backend).
 */
import type { ImportProblem, ImportSetting, ImportSetup, ImportUnused } from '../../api/export';
import type { HoconEntry } from '../hocon';
import { checkEmqxPrincipal } from './principal';

/** The keys of emqx_authn_kerberos_schema (besides common_fields' enable). */
const KERBEROS_KEYS = new Set(['mechanism', 'backend', 'principal', 'enable', 'keytab_file']);

export interface EmqxReading {
  understood: ImportSetting[];
  unused: ImportUnused[];
  problems: ImportProblem[];
  setup: ImportSetup;
}

interface Authenticator {
  /** "authentication[0]" or "listeners.tcp.default.authentication[1]". */
  prefix: string;
  values: Map<string, HoconEntry>;
}

/** The block to write, with a principal. */
const BLOCK = (principal: string) => `authentication = [ { mechanism = gssapi, backend = kerberos, principal = ${principal} } ]`;

/** Values not repeated in the report: node.cookie, passwords, secrets, private keys. */
const SECRET_KEY = /(password|secret|cookie|private_key|(^|\.)key)$/i;

const AUTHENTICATOR = /^((?:.*\.)?authentication)\[(\d+)\]\.(.+)$/;

/** Groups the entries by authenticator; the rest is outside any authentication list. */
function authenticators(entries: readonly HoconEntry[]): { list: Authenticator[]; outside: HoconEntry[] } {
  const byPrefix = new Map<string, Authenticator>();
  const outside: HoconEntry[] = [];
  for (const entry of entries) {
    const match = AUTHENTICATOR.exec(entry.path);
    if (!match) {
      outside.push(entry);
      continue;
    }
    const prefix = `${match[1]}[${match[2]}]`;
    let authenticator = byPrefix.get(prefix);
    if (!authenticator) byPrefix.set(prefix, (authenticator = { prefix, values: new Map() }));
    authenticator.values.set(match[3]!, entry);
  }
  return { list: [...byPrefix.values()], outside };
}

function text(entry: HoconEntry | undefined): string {
  return entry?.value === null || entry?.value === undefined ? '' : String(entry.value);
}

/**
 * The line a place is reported at. com.typesafe.config gives -1 for a value that is not written in
 * the file (a `${?ENV}` substitution, a default): such a place is reported at line 1.
 */
function placeLine(line: number): number {
  return line > 0 ? line : 1;
}

/** The authenticator's first line in the file; undefined when none of its values has a line. */
function firstLine(authenticator: Authenticator): number | undefined {
  const known = [...authenticator.values.values()].map((e) => e.line).filter((l) => l > 0);
  return known.length ? Math.min(...known) : undefined;
}

/** File order; authenticators whose values all come from outside the file last. */
function byFirstLine(a: Authenticator, b: Authenticator): number {
  return (firstLine(a) ?? Number.MAX_SAFE_INTEGER) - (firstLine(b) ?? Number.MAX_SAFE_INTEGER);
}

class Reader {
  readonly reading: EmqxReading = { understood: [], unused: [], problems: [], setup: {} };
  constructor(private readonly file: string) {}

  unused(entry: HoconEntry, key: string, why: string): void {
    const value = entry.value === null ? undefined : SECRET_KEY.test(key) ? '<redacted>' : String(entry.value);
    this.reading.unused.push({ key, ...(value !== undefined ? { value } : {}), file: this.file, line: placeLine(entry.line), why });
  }

  understood(entry: HoconEntry, key: string, use: string): void {
    this.reading.understood.push({ key, value: text(entry), file: this.file, line: placeLine(entry.line), use });
  }

  problem(line: number, severity: ImportProblem['severity'], message: string, fix: string): void {
    this.reading.problems.push({ file: this.file, line: placeLine(line), severity, message, fix });
  }

  allUnused(authenticator: Authenticator, why: string): void {
    for (const [key, entry] of authenticator.values) this.unused(entry, `${authenticator.prefix}.${key}`, why);
  }

  /** The Kerberos authenticator: its settings become the broker's. */
  kerberos(authenticator: Authenticator): void {
    const { prefix, values } = authenticator;
    for (const [key, entry] of values) {
      if (KERBEROS_KEYS.has(key)) continue;
      const why =
        key === 'precondition'
          ? "a Variform precondition (EMQX 5.9+): the bench's broker runs the authenticator for every client"
          : `not a setting of EMQX's Kerberos authenticator (${[...KERBEROS_KEYS].join(', ')})`;
      this.unused(entry, `${prefix}.${key}`, why);
    }
    this.understood(values.get('mechanism')!, `${prefix}.mechanism`, 'MQTT 5 enhanced authentication "GSSAPI-KERBEROS" (EMQX\'s flow)');
    this.backend(prefix, values);
    const enable = values.get('enable');
    if (enable) {
      this.understood(enable, `${prefix}.enable`, enable.value === false ? 'disabled: EMQX skips this authenticator' : 'enabled');
      if (enable.value === false) this.problem(enable.line, 'warning', `${prefix} is disabled (enable = false): EMQX lets no client in through it`, 'set enable = true');
    }
    const keytab = values.get('keytab_file');
    if (keytab) {
      this.understood(keytab, `${prefix}.keytab_file`, "EMQX accepts only the system default keytab here (KRB5_KTNAME or default_keytab_name): the bench's test uses it as that");
      this.reading.setup.serviceKeytab = text(keytab);
    }
    this.principal(authenticator);
  }

  private backend(prefix: string, values: Map<string, HoconEntry>): void {
    const backend = values.get('backend');
    const mechanismLine = values.get('mechanism')!.line;
    if (!backend) {
      this.problem(mechanismLine, 'error', `${prefix} has mechanism = gssapi but no backend: EMQX refuses it`, 'add backend = kerberos');
    } else if (backend.value !== 'kerberos') {
      this.problem(backend.line, 'error', `unknown_backend: ${prefix}.backend = ${text(backend)} (EMQX expects kerberos with mechanism = gssapi)`, 'write backend = kerberos');
    } else {
      this.understood(backend, `${prefix}.backend`, 'Kerberos through Cyrus SASL GSSAPI, as EMQX runs it');
    }
  }

  private principal(authenticator: Authenticator): void {
    const { prefix, values } = authenticator;
    const entry = values.get('principal');
    if (!entry) {
      this.problem(values.get('mechanism')!.line, 'error', `${prefix} has no principal: EMQX requires it (service/FQDN@REALM)`, 'add principal = "mqtt/<broker FQDN>@<REALM>"');
      return;
    }
    const principal = text(entry);
    const checked = checkEmqxPrincipal(principal);
    for (const issue of checked.issues) this.problem(entry.line, issue.severity, issue.message, issue.fix);
    const use = checked.gssName ? `the broker accepts tickets for ${principal}; clients ask for ${checked.gssName}` : 'the broker principal (EMQX refuses it: see the problems)';
    this.understood(entry, `${prefix}.principal`, use);
    const setup = this.reading.setup;
    setup.broker = { principal, variant: 'emqx', ...(setup.serviceKeytab ? { keytab: setup.serviceKeytab } : {}) };
    setup.servicePrincipal = principal;
    if (checked.realm) setup.realm = checked.realm;
  }
}

/** Reads the values of one HOCON file (as com.typesafe.config gave them) as EMQX's authentication configuration. */
export function readEmqxEntries(file: string, entries: readonly HoconEntry[]): EmqxReading {
  const reader = new Reader(file);
  const { list, outside } = authenticators(entries);
  for (const entry of outside) {
    const objectForm = /(^|\.)authentication\.(mechanism|backend|principal)$/.test(entry.path);
    if (objectForm) reader.problem(entry.line, 'error', `${entry.path}: EMQX wants a list of authenticators, not one object`, `write ${BLOCK('"…"')}`);
    reader.unused(entry, entry.path, objectForm ? 'authentication must be a list' : 'not part of an authentication list (the bench imports only the authenticators)');
  }
  let chosen: Authenticator | undefined;
  for (const authenticator of list.sort(byFirstLine)) {
    const mechanism = text(authenticator.values.get('mechanism'));
    if (mechanism !== 'gssapi') {
      reader.allUnused(authenticator, mechanism ? `mechanism = ${mechanism}: not Kerberos (the bench runs mechanism = gssapi, backend = kerberos)` : 'an authenticator without mechanism');
    } else if (chosen) {
      reader.allUnused(authenticator, `a second gssapi authenticator: EMQX allows one gssapi:kerberos per chain, and ${chosen.prefix} is the one read`);
      const message = `${authenticator.prefix} is a second gssapi authenticator: EMQX refuses a duplicate gssapi:kerberos in one chain`;
      reader.problem(firstLine(authenticator) ?? 1, 'warning', message, `remove it, or merge it into ${chosen.prefix}`);
    } else {
      chosen = authenticator;
      reader.kerberos(authenticator);
    }
  }
  if (!chosen) {
    const line = (list.length ? firstLine(list[0]!) : undefined) ?? 1;
    reader.problem(line, 'error', 'no authenticator with mechanism = gssapi: nothing here sets up Kerberos', `add ${BLOCK('"mqtt/<broker FQDN>@<REALM>"')}`);
  }
  return reader.reading;
}
