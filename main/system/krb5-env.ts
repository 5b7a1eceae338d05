import { readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseProfile, profileValue, type ParsedProfile } from '../krb/profile';

/** Where MIT looks when KRB5_CONFIG is unset (Debian/Ubuntu build). */
export const DEFAULT_KRB5_CONFIG = '/etc/krb5.conf';

/** The first krb5.conf MIT reads for `env`: KRB5_CONFIG's first file, else /etc/krb5.conf. */
export function systemKrb5Config(env: NodeJS.ProcessEnv = process.env): string {
  return (env.KRB5_CONFIG ?? '').split(':').find(Boolean) ?? DEFAULT_KRB5_CONFIG;
}
const MAX_INCLUDE_DEPTH = 8;

export interface Krb5ConfigFile {
  path: string;
  exists: boolean;
  /** Set when the file came from an `include`/`includedir` of another file. */
  includedFrom?: string;
  error?: string;
}

/** A Kerberos location name (ccache or keytab) and where its value came from. */
export interface Krb5Location {
  name: string;
  source: string;
}

/** The Kerberos settings MIT would use for a process with this environment. */
export interface Krb5Environment {
  /** KRB5_CONFIG as set, or null when MIT uses its built-in default. */
  krb5ConfigVar: string | null;
  files: Krb5ConfigFile[];
  /** Parsed profiles in precedence order (includes follow the file that includes them). */
  profiles: ParsedProfile[];
  defaultRealm: string | undefined;
  ccache: Krb5Location;
  keytab: Krb5Location;
  clientKeytab: Krb5Location;
}

/** Expands MIT's path tokens (%{uid}, %{TEMP}, …) as libkrb5 does for ccache and keytab names. */
export function expandKrb5Tokens(value: string, env: NodeJS.ProcessEnv = process.env): string {
  const uid = typeof process.getuid === 'function' ? String(process.getuid()) : '0';
  const euid = typeof process.geteuid === 'function' ? String(process.geteuid()) : uid;
  const tokens: Record<string, string> = {
    uid,
    euid,
    USERID: uid,
    username: safeUsername(),
    TEMP: env.TMPDIR ?? '/tmp',
    null: '',
  };
  return value.replace(/%\{(\w+)\}/g, (whole, token: string) => tokens[token] ?? whole);
}

function safeUsername(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** includedir takes files named only of letters, digits, dashes and underscores, or ending in .conf. */
function includedirAccepts(name: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(name) || name.endsWith('.conf');
}

async function loadProfileFile(
  file: string,
  includedFrom: string | undefined,
  depth: number,
  seen: Set<string>,
  out: { files: Krb5ConfigFile[]; profiles: ParsedProfile[] },
): Promise<void> {
  const resolved = path.resolve(file);
  if (seen.has(resolved)) return;
  seen.add(resolved);
  let text: string;
  try {
    text = await readFile(resolved, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    out.files.push({ path: resolved, exists: code !== 'ENOENT', ...(includedFrom ? { includedFrom } : {}), error: code === 'ENOENT' ? 'no such file' : String(code) });
    return;
  }
  out.files.push({ path: resolved, exists: true, ...(includedFrom ? { includedFrom } : {}) });
  const profile = parseProfile(text, resolved);
  out.profiles.push(profile);
  if (depth >= MAX_INCLUDE_DEPTH) return;
  for (const include of profile.includes) {
    if (include.kind === 'include') {
      await loadProfileFile(include.path, resolved, depth + 1, seen, out);
      continue;
    }
    let names: string[] = [];
    try {
      names = (await readdir(include.path)).filter(includedirAccepts).sort();
    } catch {
      out.files.push({ path: include.path, exists: false, includedFrom: resolved, error: 'includedir not readable' });
    }
    for (const name of names) await loadProfileFile(path.join(include.path, name), resolved, depth + 1, seen, out);
  }
}

/** Reads the krb5.conf files MIT would read for `env`, following includes. */
export async function loadKrb5Environment(env: NodeJS.ProcessEnv = process.env): Promise<Krb5Environment> {
  const krb5ConfigVar = env.KRB5_CONFIG ?? null;
  const list = (krb5ConfigVar ?? DEFAULT_KRB5_CONFIG).split(':').filter(Boolean);
  const out = { files: [] as Krb5ConfigFile[], profiles: [] as ParsedProfile[] };
  const seen = new Set<string>();
  for (const file of list) await loadProfileFile(file, undefined, 0, seen, out);

  const pick = (variable: string, relation: string, fallback: string): Krb5Location => {
    const fromEnv = env[variable];
    if (fromEnv) return { name: expandKrb5Tokens(fromEnv, env), source: variable };
    const fromConf = profileValue(out.profiles, ['libdefaults', relation]);
    if (fromConf) return { name: expandKrb5Tokens(fromConf, env), source: `${relation} in krb5.conf` };
    return { name: expandKrb5Tokens(fallback, env), source: 'MIT built-in default' };
  };
  return {
    krb5ConfigVar,
    files: out.files,
    profiles: out.profiles,
    defaultRealm: profileValue(out.profiles, ['libdefaults', 'default_realm']),
    ccache: pick('KRB5CCNAME', 'default_ccache_name', 'FILE:/tmp/krb5cc_%{uid}'),
    keytab: pick('KRB5_KTNAME', 'default_keytab_name', 'FILE:/etc/krb5.keytab'),
    clientKeytab: pick('KRB5_CLIENT_KTNAME', 'default_client_keytab_name', 'FILE:/etc/krb5/user/%{euid}/client.keytab'),
  };
}

/** For `FILE:/path` or a bare path, the file path; null for KEYRING:, KCM:, MEMORY: and friends. */
export function locationFilePath(name: string): string | null {
  const match = /^([A-Za-z]+):(.*)$/.exec(name);
  if (!match) return name;
  const type = match[1]!.toUpperCase();
  return type === 'FILE' || type === 'WRFILE' ? match[2]! : null;
}
