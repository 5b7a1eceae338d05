import { customProfile, systemProfile } from '../gss/profiles';
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

export const PROFILE_HELP = `Profiles: --profile lab (default: the bench's lab realm, brought up if needed; --realm picks it),
--profile system (your environment and /etc/krb5.conf), or a custom one from --krb5-config FILE,
--ccache FILE, --keytab FILE, --client-keytab FILE.`;

export async function profileFrom(input: CommandInput, command: Command): Promise<KerberosProfile> {
  const { values } = input;
  const custom = ['krb5-config', 'ccache', 'keytab', 'client-keytab'].filter((k) => values[k] !== undefined);
  const name = (values.profile as string | undefined) ?? (custom.length ? 'custom' : 'lab');
  if (name !== 'custom' && custom.length) throw new UsageError(`--${custom[0]} makes a custom profile; it cannot be combined with --profile ${name}`, command);
  switch (name) {
    case 'lab': {
      // As the help says: the lab realm is brought up if needed, so its ccache and keytabs exist.
      const target = values.realm ? { realm: values.realm as string } : undefined;
      await input.engine().api.lab.up(target);
      return input.engine().api.lab.profile(target);
    }
    case 'system':
      return systemProfile();
    case 'custom':
      return customProfile({
        ...(values['krb5-config'] ? { krb5Config: values['krb5-config'] as string } : {}),
        ...(values.ccache ? { ccache: values.ccache as string } : {}),
        ...(values.keytab ? { keytab: values.keytab as string } : {}),
        ...(values['client-keytab'] ? { clientKeytab: values['client-keytab'] as string } : {}),
      });
    default:
      throw new UsageError(`--profile must be lab, system or custom, not "${name}"`, command);
  }
}

/** The file behind a FILE: ccache or keytab name, or undefined for other types. */
export function fileOf(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const match = /^([A-Z]+):(.*)$/.exec(name);
  return !match ? name : match[1] === 'FILE' ? match[2] : undefined;
}
