/**
 * Check 6 (the file part): the acceptor's keytab — there, readable, parseable, holding the exact
 * principal (case and realm count: MIT compares bytes) with keys of an enctype krb5.conf permits.
 * EMQX reads only the default keytab (KRB5_KTNAME or default_keytab_name), so which file is meant
 * matters as much as what is in it.
 */
import { readFile } from 'node:fs/promises';
import { KrbDecodeError } from '../../krb/errors';
import { parseKeytab, samePrincipal, type Keytab, type KeytabEntry } from '../../krb/keytab';
import { enctypeName, formatPrincipal, type Principal } from '../../krb/names';
import { fsMessage } from '../../system/files';
import { locationFilePath } from '../../system/krb5-env';
import { EnvFindingId } from './catalog-map';
import type { Krb5Settings } from './settings';
import { measure, shellQuote, type Collector } from './types';

export interface KeytabState {
  /** The name as configured ("FILE:/etc/krb5.keytab") and where it came from. */
  name: string;
  source: string;
  path?: string;
  keytab?: Keytab;
  /** Entries for the principal asked about (all entries when none was given). */
  entries: KeytabEntry[];
}

export interface KeytabTarget {
  name: string;
  source: string;
  principal?: Principal;
  principalText?: string;
  /** Asked about explicitly (a keytab or principal was given): a problem with it is then surely relevant. */
  explicit: boolean;
}

export async function checkKeytab(target: KeytabTarget, settings: Krb5Settings, out: Collector): Promise<KeytabState> {
  const state: KeytabState = { name: target.name, source: target.source, entries: [] };
  await out.run('keytab-file', () => loadKeytab(state, target, out));
  if (!state.keytab) return state;
  state.entries = target.principal ? state.keytab.entries.filter((e) => samePrincipal(e.principal, target.principal!)) : state.keytab.entries;
  if (target.principal) await out.run('keytab-principal', () => principalCheck(state, target, out));
  if (state.entries.length) await out.run('keytab-enctypes', () => enctypeCheck(state, settings, out));
  return state;
}

async function loadKeytab(state: KeytabState, target: KeytabTarget, out: Collector) {
  const file = locationFilePath(target.name);
  if (file === null) return { ok: false, detail: `${target.name} (${target.source}) is not a FILE: keytab; only files can be inspected (klist -kte ${shellQuote(target.name)} can)` };
  state.path = file;
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    missingFinding(target, file, fsMessage(error), out);
    return { ok: false, detail: `${file} (${target.source}): ${fsMessage(error)}` };
  }
  try {
    state.keytab = parseKeytab(bytes).keytab;
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    unreadableFinding(target, file, error, bytes.length, out);
    return { ok: false, detail: `${file}: not a keytab (${error.message})` };
  }
  const principals = [...new Set(state.keytab.entries.map((e) => formatPrincipal(e.principal)))];
  const measured = [measure('keys', state.keytab.entries.length, undefined, file), measure('principals', principals.join(', ') || '(none)')];
  return { ok: true, detail: `${file} (${target.source}): ${state.keytab.entries.length} key(s) for ${principals.join(', ') || 'no principal'}`, measured };
}

function missingFinding(target: KeytabTarget, file: string, why: string, out: Collector): void {
  const principal = target.principalText ?? 'PRINCIPAL';
  out.finding({
    id: EnvFindingId.keytabMissing,
    title: why === 'permission denied' ? `The keytab ${file} cannot be read` : `The keytab ${file} does not exist`,
    // A client-only host has no keytab, and that is fine: only a service on this host needs one.
    confidence: target.explicit ? 0.85 : 0.3,
    cause: `The acceptor's keytab is ${file} (${target.source}), and opening it fails: ${why}. A service on this host then has no keys at all: "Keytab contains no suitable keys" / "No key table entry found".${why === 'permission denied' ? ' The service must run as a user that may read it (EMQX runs as emqx).' : ''}`,
    fix: why === 'permission denied' ? `Let the service's user read ${file} (and nobody else).` : `Export the service's keys to ${file}, or point KRB5_KTNAME at the keytab that has them.`,
    commands:
      why === 'permission denied'
        ? [`ls -l ${shellQuote(file)}`, `sudo chown SERVICE-USER ${shellQuote(file)} && sudo chmod 600 ${shellQuote(file)}`]
        : [`kadmin -q "ktadd -k ${file} ${principal}"`, `export KRB5_KTNAME=FILE:/path/to/service.keytab`],
    evidence: [{ source: target.source, text: `${target.name}: ${why}` }],
  });
}

function unreadableFinding(target: KeytabTarget, file: string, error: KrbDecodeError, size: number, out: Collector): void {
  out.finding({
    id: EnvFindingId.keytabUnreadable,
    title: `${file} is not a valid keytab`,
    confidence: 0.8,
    cause: `${file} (${target.source}, ${size} bytes) does not parse as a keytab at byte ${error.offset}: ${error.reason}. MIT reads no key from a damaged keytab (or stops at the damage).`,
    fix: `Export the keytab again (binary transfer: a text-mode copy or base64 left in place breaks it).`,
    commands: [`klist -kte ${shellQuote(file)}`, `xxd ${shellQuote(file)} | head`],
    evidence: [{ source: `${file}, byte ${error.offset}`, text: error.message }],
  });
}

/** Why an entry is not the principal but close: what a user typed wrong. */
function nearMiss(entry: Principal, wanted: Principal): string | undefined {
  const lower = (p: Principal) => formatPrincipal(p).toLowerCase();
  const name = (p: Principal) => p.components.join('/');
  if (lower(entry) === lower(wanted)) return 'differs only in upper/lower case (MIT compares exactly)';
  if (name(entry) === name(wanted)) return `is in realm ${entry.realm}, not ${wanted.realm}`;
  if (entry.components[0] === wanted.components[0] && entry.components.length === 2 && wanted.components.length === 2) {
    const [a, b] = [entry.components[1]!.toLowerCase(), wanted.components[1]!.toLowerCase()];
    if (a.split('.')[0] === b.split('.')[0]) return `has host ${entry.components[1]} (short name vs fully qualified)`;
    return `is for host ${entry.components[1]}`;
  }
  if (entry.components.length === 2 && entry.components[1] === wanted.components[1]) return `is for service ${entry.components[0]}`;
  return undefined;
}

function principalCheck(state: KeytabState, target: KeytabTarget, out: Collector) {
  const wanted = target.principal!;
  const text = formatPrincipal(wanted);
  if (state.entries.length) {
    const kvnos = [...new Set(state.entries.map((e) => e.kvno))].sort((a, b) => a - b);
    const enctypes = [...new Set(state.entries.map((e) => enctypeName(e.enctype)))].join(', ');
    const measured = [measure('keys', state.entries.length), measure('kvno', kvnos.length === 1 ? kvnos[0]! : kvnos.join(', ')), measure('enctypes', enctypes)];
    return { ok: true, detail: `${text}: ${state.entries.length} key(s), kvno ${kvnos.join(', ')}, ${enctypes}`, measured };
  }
  const all = state.keytab!.entries;
  const near = [...new Map(all.map((e) => [formatPrincipal(e.principal), nearMiss(e.principal, wanted)])).entries()].filter(([, why]) => why);
  const present = [...new Set(all.map((e) => formatPrincipal(e.principal)))];
  out.finding({
    id: EnvFindingId.keytabMissingPrincipal,
    title: `${text} is not in ${state.path}`,
    confidence: 0.85,
    cause: `The keytab ${state.path} (${state.source}) holds ${present.length ? present.join(', ') : 'no keys at all'}, but no key for ${text}${near.length ? `; closest: ${near.map(([p, why]) => `${p} ${why}`).join('; ')}` : ''}. The acceptor fails with "No key table entry found matching ${text}" / "Keytab contains no suitable keys".`,
    fix: `Add ${text} (exactly, case included) to ${state.path}, or make clients ask for the principal the keytab has.`,
    commands: [`klist -kte ${shellQuote(state.path!)}`, `kadmin -q "ktadd -k ${state.path} ${text}"`],
    evidence: [
      { source: state.path!, text: present.length ? `principals: ${present.join(', ')}` : 'no entries' },
      { source: 'principal', text: target.principalText ?? text },
    ],
  });
  return { ok: false, detail: `${text} not in ${state.path}; it has ${present.join(', ') || 'no keys'}`, measured: [measure('keys', 0), measure('principals in the keytab', present.join(', ') || '(none)')] };
}

function enctypeCheck(state: KeytabState, settings: Krb5Settings, out: Collector) {
  const permitted = settings.enctypes('permitted_enctypes');
  const have = [...new Set(state.entries.map((e) => e.enctype))];
  const usable = have.filter((e) => permitted.ids.includes(e));
  const detail = `keys ${have.map(enctypeName).join(', ')}; permitted_enctypes ${permitted.where ? `(${permitted.where})` : '(MIT default)'}: ${permitted.ids.map(enctypeName).join(', ')}`;
  const measured = [
    measure('keytab enctypes', have.map(enctypeName).join(', ')),
    measure('usable', usable.length ? usable.map(enctypeName).join(', ') : '(none)', undefined, `permitted_enctypes, ${permitted.where ?? 'MIT default'}`),
  ];
  if (usable.length) return { ok: true, detail, measured };
  const who = formatPrincipal(state.entries[0]!.principal);
  out.finding({
    id: EnvFindingId.keytabEnctypes,
    title: `No key in the keytab has a permitted encryption type`,
    confidence: 0.7,
    cause: `${state.path} has ${have.map(enctypeName).join(', ')} keys${state.entries.length < (state.keytab?.entries.length ?? 0) ? ` for ${who}` : ''}, and permitted_enctypes allows none of them (${permitted.ids.map(enctypeName).join(', ')}): MIT ignores those keys ("… found in keytab but not with enctype …").`,
    fix: `Export AES keys for ${who} (or allow the keytab's enctype in permitted_enctypes if you must).`,
    commands: [`kadmin -q "ktadd -k ${state.path} -e aes256-cts-hmac-sha1-96:normal,aes128-cts-hmac-sha1-96:normal ${who}"`],
    evidence: [
      { source: state.path!, text: `enctypes: ${have.map(enctypeName).join(', ')}` },
      { source: permitted.where ?? 'MIT default', text: `permitted_enctypes = ${permitted.raw ?? 'DEFAULT'}` },
    ],
  });
  return { ok: false, detail, measured };
}
