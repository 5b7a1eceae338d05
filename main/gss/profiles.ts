/**
 * Kerberos profiles and the process environment each one gives its GSS worker.
 *
 * MIT reads its settings from the environment at every call (KRB5_CONFIG, KRB5CCNAME, …), so a
 * profile *is* an environment. Two policies:
 *   - 'system': the user's own environment, untouched — "what would my other programs see?".
 *   - 'lab' / 'custom': every KRB5* variable of the user is removed and exactly the profile's paths
 *     are set, so a stray KRB5CCNAME in the user's shell can never leak into the lab (an absent
 *     path then means MIT's built-in default, as the profile says).
 */
import path from 'node:path';
import type { LabService } from '../api/lab';
import type { KerberosProfile } from './types';

/** Profile field → the MIT environment variable it sets. */
const PROFILE_VARIABLES = {
  krb5Config: 'KRB5_CONFIG',
  ccache: 'KRB5CCNAME',
  keytab: 'KRB5_KTNAME',
  clientKeytab: 'KRB5_CLIENT_KTNAME',
  rcacheDir: 'KRB5RCACHEDIR',
} as const satisfies Partial<Record<keyof KerberosProfile, string>>;

type ProfilePaths = Partial<Pick<KerberosProfile, keyof typeof PROFILE_VARIABLES>>;

/** The user's own Kerberos setup: whatever their environment and /etc/krb5.conf say. */
export function systemProfile(): KerberosProfile {
  return { id: 'system', name: 'System defaults', kind: 'system' };
}

/** A profile from explicit paths; bare ccache/keytab paths get MIT's "FILE:" prefix. */
export function customProfile(paths: ProfilePaths & { id?: string; name?: string }): KerberosProfile {
  return withPaths({ id: paths.id ?? 'custom', name: paths.name ?? 'Custom profile', kind: 'custom' }, paths);
}

export type ProfileKind = 'lab' | 'system' | 'custom';

/**
 * The profile a caller names. The lab's is brought up first, so its krb5.conf, ccache and keytabs
 * exist when they are used; `lab` is only asked for then (a CLI engine is not started for the others).
 */
export async function resolveProfile(kind: ProfileKind, options: { lab: () => Pick<LabService, 'up' | 'profile'>; realm?: string; paths?: ProfilePaths }): Promise<KerberosProfile> {
  switch (kind) {
    case 'lab': {
      const target = options.realm ? { realm: options.realm } : undefined;
      const lab = options.lab();
      await lab.up(target);
      return lab.profile(target);
    }
    case 'system':
      return systemProfile();
    case 'custom':
      return customProfile(options.paths ?? {});
  }
}

/** The lab realm's profile: its krb5.conf, a client ccache, the service keytab, its replay cache. */
export function labProfile(realm: string, paths: ProfilePaths & { id?: string }): KerberosProfile {
  return withPaths({ id: paths.id ?? 'lab', name: `Lab realm ${realm}`, kind: 'lab' }, paths);
}

function withPaths(profile: KerberosProfile, paths: ProfilePaths): KerberosProfile {
  const out = { ...profile };
  if (paths.krb5Config) out.krb5Config = paths.krb5Config;
  if (paths.ccache) out.ccache = withResidueType(paths.ccache);
  if (paths.keytab) out.keytab = withResidueType(paths.keytab);
  if (paths.clientKeytab) out.clientKeytab = withResidueType(paths.clientKeytab);
  if (paths.rcacheDir) out.rcacheDir = paths.rcacheDir;
  return out;
}

/**
 * The same profile on another GSS implementation: 'java' runs its contexts in a JVM (JAAS
 * Krb5LoginModule + Java GSS), with a generated JAAS file or the user's own (`jaasConfig`).
 * Same id, other runtime: the supervisor keeps the two in separate processes.
 */
export function withRuntime(profile: KerberosProfile, runtime: 'mit' | 'java', jaasConfig?: string): KerberosProfile {
  const out: KerberosProfile = { ...profile, runtime };
  if (runtime === 'java' && jaasConfig) out.jaasConfig = path.resolve(jaasConfig);
  else delete out.jaasConfig;
  return out;
}

/** The file behind a FILE: ccache or keytab name, or undefined for other types. */
export function fileOf(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const match = /^([A-Z]+):(.*)$/.exec(name);
  return !match ? name : match[1] === 'FILE' ? match[2] : undefined;
}

/** "/x/alice.ccache" → "FILE:/x/alice.ccache"; "KCM:", "MEMORY:", "FILE:…" stay as they are. */
function withResidueType(name: string): string {
  return /^[A-Z]+:/.test(name) ? name : `FILE:${path.resolve(name)}`;
}

/** Every variable through which MIT (libkrb5, libgssapi_krb5) takes settings from the environment. */
function isKrb5Variable(name: string): boolean {
  return name.startsWith('KRB5');
}

/**
 * The environment a worker for `profile` runs with (KRB5_TRACE excepted: the supervisor points
 * it at the worker's own trace file).
 */
export function profileEnv(profile: KerberosProfile, baseEnv: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(baseEnv)) {
    if (value === undefined) continue;
    if (profile.kind !== 'system' && isKrb5Variable(name)) continue;
    env[name] = value;
  }
  delete env.KRB5_TRACE;
  for (const [field, variable] of Object.entries(PROFILE_VARIABLES)) {
    const value = profile[field as keyof typeof PROFILE_VARIABLES];
    if (value) env[variable] = value;
  }
  // The JVM has its own mechanisms (krb5 and SPNEGO only): the variable is MIT's business.
  if ((profile.runtime ?? 'mit') === 'mit' && !loadsSystemMechanisms(profile, env)) env.GSS_MECH_CONFIG = NO_EXTRA_MECHANISMS;
  return env;
}

/**
 * An empty mechanism list: MIT then reads neither /etc/gss/mech nor /etc/gss/mech.d (the variable
 * replaces both), so only its built-in krb5, SPNEGO and IAKERB remain.
 */
const NO_EXTRA_MECHANISMS = '/dev/null';

/**
 * Whether MIT loads the machine's extra GSS mechanisms (/etc/gss/mech.d: gss-ntlmssp) for this
 * profile. A lab or custom profile runs on Kerberos alone unless it has NTLM credentials
 * (NTLM_USER_FILE) or asks for NTLM: with gss-ntlmssp installed, an acceptor otherwise gets NTLM
 * credentials for any name, so a keytab without the service's key no longer fails at
 * gss_acquire_cred but at the first token, and SPNEGO may pick NTLM.
 */
function loadsSystemMechanisms(profile: KerberosProfile, env: NodeJS.ProcessEnv): boolean {
  if (profile.kind === 'system' || profile.ntlm) return true;
  return Boolean(env.NTLM_USER_FILE) || Boolean(env.GSS_MECH_CONFIG);
}

/**
 * What makes two profiles need different workers: same id but other paths, another runtime or
 * another JAAS file → a fresh worker.
 */
export function profileFingerprint(profile: KerberosProfile): string {
  const paths = Object.keys(PROFILE_VARIABLES).map((field) => profile[field as keyof typeof PROFILE_VARIABLES] ?? null);
  return JSON.stringify([profile.kind, ...paths, profile.runtime ?? 'mit', profile.jaasConfig ?? null, profile.ntlm ?? false]);
}
