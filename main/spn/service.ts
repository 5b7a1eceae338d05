/**
 * The `spn` service: SPNs built and validated in each product's words (build.ts, hazelcast.ts,
 * validate.ts), what DNS says about their hosts (dns.ts), the user name each product derives from
 * a principal (names.ts), and whether a KDC knows an SPN and a keytab holds its current key (check.ts).
 */
import type { NameMapping, SpnBuildInput, SpnBuildResult, SpnCheckInput, SpnCheckResult, SpnService, SpnValidateInput, SpnValidation } from '../api/export';
import type { EngineContext } from '../engine/context';
import { systemProfile } from '../gss/profiles';
import type { GssSupervisor } from '../gss/supervisor';
import { krb5ConfigFiles, readKrb5Profiles, systemResolver } from '../http/spn-check';
import { profileValue } from '../krb/profile';
import type { LabServiceImpl } from '../lab/service';
import { buildSpns } from './build';
import { checkSpn } from './check';
import { lookupDns } from './dns';
import { nameMappings } from './names';
import { validateSpn } from './validate';

/** [libdefaults] default_realm of the machine's krb5.conf (KRB5_CONFIG, else /etc/krb5.conf), with the file that sets it. */
async function machineDefaultRealm(): Promise<{ realm: string; source: string } | undefined> {
  for (const profile of await readKrb5Profiles(krb5ConfigFiles(systemProfile()))) {
    const realm = profileValue([profile], ['libdefaults', 'default_realm']);
    if (realm) return { realm, source: profile.source };
  }
  return undefined;
}

export class SpnServiceImpl implements SpnService {
  constructor(
    readonly context: EngineContext,
    readonly supervisor: () => GssSupervisor,
    readonly lab: LabServiceImpl,
  ) {}

  async build(input: SpnBuildInput): Promise<SpnBuildResult> {
    return buildSpns(input, { resolver: systemResolver, lookup: (host) => lookupDns(host, { system: systemResolver }) });
  }

  async validate(input: SpnValidateInput): Promise<SpnValidation> {
    return validateSpn(input.spn, input.product);
  }

  async mapName(input: { principal: string }): Promise<NameMapping> {
    return nameMappings(input.principal, await machineDefaultRealm());
  }

  async check(input: SpnCheckInput): Promise<SpnCheckResult> {
    return checkSpn(input, this.lab);
  }
}
