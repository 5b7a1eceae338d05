import { resolveProfile } from '../gss/profiles';
import type { KerberosProfile } from '../gss/types';
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

export async function profileFrom(input: CommandInput, command: Command): Promise<KerberosProfile> {
  const { values } = input;
  const custom = ['krb5-config', 'ccache', 'keytab', 'client-keytab'].filter((k) => values[k] !== undefined);
  const name = (values.profile as string | undefined) ?? (custom.length ? 'custom' : 'lab');
  if (name !== 'custom' && custom.length) throw new UsageError(`--${custom[0]} makes a custom profile; it cannot be combined with --profile ${name}`, command);
  if (name !== 'lab' && name !== 'system' && name !== 'custom') throw new UsageError(`--profile must be lab, system or custom, not "${name}"`, command);
  // As the help says: the lab realm is brought up if needed, so its ccache and keytabs exist.
  return resolveProfile(name, {
    lab: () => input.engine().api.lab,
    ...(values.realm ? { realm: values.realm as string } : {}),
    paths: {
      krb5Config: values['krb5-config'] as string | undefined,
      ccache: values.ccache as string | undefined,
      keytab: values.keytab as string | undefined,
      clientKeytab: values['client-keytab'] as string | undefined,
    },
  });
}
