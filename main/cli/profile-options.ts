import type { ProbeProfilePaths } from '../api';
import { UsageError, type Command, type CommandInput } from './command';

/** --profile lab|system, or explicit paths for a custom profile; shared by every GSS command. */
export const profileOptions = {
  profile: { type: 'string' },
  realm: { type: 'string' },
  'krb5-config': { type: 'string' },
  ccache: { type: 'string' },
  keytab: { type: 'string' },
  'client-keytab': { type: 'string' },
} as const;

export const PROFILE_HELP = `Profiles: --profile lab (default: the bench's lab realm, brought up if needed; --realm picks it: AD.TEST is the AD lab),
--profile system (your environment and /etc/krb5.conf), or a custom one from --krb5-config FILE,
--ccache FILE, --keytab FILE, --client-keytab FILE.`;

/** The profile the options name, as a service takes it: lab (with its realm), system, or custom (with its files). */
export interface ProfileChoice {
  profile: 'lab' | 'system' | 'custom';
  realm?: string;
  paths?: ProbeProfilePaths;
}

export function profileChoice(input: CommandInput, command: Command): ProfileChoice {
  const { values } = input;
  const custom = ['krb5-config', 'ccache', 'keytab', 'client-keytab'].filter((k) => values[k] !== undefined);
  const name = (values.profile as string | undefined) ?? (custom.length ? 'custom' : 'lab');
  if (name !== 'custom' && custom.length) throw new UsageError(`--${custom[0]} makes a custom profile; it cannot be combined with --profile ${name}`, command);
  if (name !== 'lab' && name !== 'system' && name !== 'custom') throw new UsageError(`--profile must be lab, system or custom, not "${name}"`, command);
  const given = (key: string) => (values[key] === undefined ? {} : { [key === 'krb5-config' ? 'krb5Config' : key === 'client-keytab' ? 'clientKeytab' : key]: values[key] as string });
  return {
    profile: name,
    ...(name === 'lab' && values.realm ? { realm: values.realm as string } : {}),
    ...(name === 'custom' ? { paths: Object.assign({}, ...custom.map(given)) as ProfileChoice['paths'] } : {}),
  };
}
