/**
 * krb5.conf values as MIT reads them, each with the file:line it came from (evidence quotes it):
 * booleans, durations, enctype lists with MIT's family names, and [domain_realm] lookups.
 */
import { profileSubsections, profileValues, type ParsedProfile } from '../../krb/profile';
import { enctypeId } from '../../krb/names';

export interface Located {
  value: string;
  /** "path/krb5.conf:12". */
  where: string;
}

/** Values at `path` from the first profile that has any (MIT precedence), with their file:line. */
export function locatedValues(profiles: readonly ParsedProfile[], path: readonly string[]): Located[] {
  for (const profile of profiles) {
    const values = profileValues([profile], path);
    if (values.length) return values.map((v) => ({ value: v.value, where: `${profile.source}:${v.line}` }));
  }
  return [];
}

/** MIT's profile_parse_boolean: anything else is not a boolean (MIT then uses the default). */
export function parseBoolean(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (['y', 'yes', 'true', 't', '1', 'on'].includes(word)) return true;
  if (['n', 'no', 'false', 'nil', '0', 'off'].includes(word)) return false;
  return undefined;
}

/** A krb5_deltat ("10h", "1d2h", "5m", "300", "1:30:00") in seconds; undefined when it is none. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  if (/^-?\d+$/.test(value)) return Number(value);
  const clock = /^(\d+):(\d{1,2})(?::(\d{1,2}))?$/.exec(value);
  if (clock) return Number(clock[1]) * 3600 + Number(clock[2]) * 60 + Number(clock[3] ?? 0);
  const units: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1 };
  const parts = [...value.matchAll(/(\d+)\s*([dhms])/gi)];
  if (!parts.length || parts.map((p) => p[0]).join('').replace(/\s/g, '') !== value.replace(/\s/g, '')) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!.toLowerCase()]!, 0);
}

/** MIT 1.20's built-in enctype list (the "DEFAULT" family). */
export const MIT_DEFAULT_ENCTYPES = [18, 17, 20, 19, 16, 23, 26, 25];
/** Single DES and export RC4: MIT's "weak" enctypes, dropped unless allow_weak_crypto. */
export const WEAK_ENCTYPES = new Set([1, 2, 3, 24]);
/** AES and Camellia: what a setup should have at least one of today. */
export const STRONG_ENCTYPES = new Set([17, 18, 19, 20, 25, 26]);

const FAMILIES: Record<string, number[]> = {
  default: MIT_DEFAULT_ENCTYPES,
  aes: [18, 17, 20, 19],
  'aes-sha1': [18, 17],
  'aes-sha2': [20, 19],
  camellia: [26, 25],
  rc4: [23],
  des3: [16],
  des: [1, 3, 2],
};

export interface EnctypeList {
  ids: number[];
  /** Words MIT would not recognise either. */
  unknown: string[];
}

/** MIT's krb5int_parse_enctype_list: names, families, DEFAULT, "+x" / "-x"; weak ones dropped unless allowed. */
export function parseEnctypeList(text: string, allowWeak = false): EnctypeList {
  let ids: number[] = [];
  const unknown: string[] = [];
  for (const word of text.split(/[\s,]+/).filter(Boolean)) {
    const sign = word[0] === '-' ? '-' : '+';
    const name = word.replace(/^[+-]/, '');
    const members = FAMILIES[name.toLowerCase()] ?? (enctypeId(name) !== undefined ? [enctypeId(name)!] : undefined);
    if (!members) {
      unknown.push(word);
      continue;
    }
    ids = sign === '-' ? ids.filter((id) => !members.includes(id)) : [...ids, ...members.filter((id) => !ids.includes(id))];
  }
  return { ids: allowWeak ? ids : ids.filter((id) => !WEAK_ENCTYPES.has(id)), unknown };
}

/** Read-only view of the [libdefaults], [realms] and [domain_realm] settings a check needs. */
export class Krb5Settings {
  constructor(readonly profiles: readonly ParsedProfile[]) {}

  libdefault(tag: string): Located | undefined {
    return locatedValues(this.profiles, ['libdefaults', tag])[0];
  }

  /** A boolean relation; `fallback` is MIT's default when unset or not a boolean. */
  flag(tag: string, fallback: boolean): { value: boolean; where?: string; raw?: string } {
    const found = this.libdefault(tag);
    const parsed = found ? parseBoolean(found.value) : undefined;
    return parsed === undefined ? { value: fallback } : { value: parsed, where: found!.where, raw: found!.value };
  }

  /** MIT's allowed clock skew in seconds (clockskew, default 300). */
  clockskew(): { seconds: number; where?: string } {
    const found = this.libdefault('clockskew');
    const seconds = found ? parseDuration(found.value) : undefined;
    return seconds === undefined ? { seconds: 300 } : { seconds, where: found!.where };
  }

  realms(): string[] {
    return profileSubsections(this.profiles, 'realms');
  }

  realmValues(realm: string, tag: string): Located[] {
    return locatedValues(this.profiles, ['realms', realm, tag]);
  }

  /** The effective enctype list for `tag` (permitted_enctypes, default_tkt_enctypes …). */
  enctypes(tag: string): EnctypeList & { where?: string; raw?: string } {
    const found = this.libdefault(tag);
    const allowWeak = this.flag('allow_weak_crypto', false).value;
    if (!found) return { ...parseEnctypeList('DEFAULT', allowWeak) };
    return { ...parseEnctypeList(found.value, allowWeak), where: found.where, raw: found.value };
  }

  /**
   * The realm [domain_realm] maps `host` to, as MIT looks it up: the whole host name first, then
   * each parent domain with a leading dot (".example.com"), most specific first.
   */
  domainRealm(host: string): (Located & { key: string }) | undefined {
    const name = host.toLowerCase().replace(/\.$/, '');
    const keys = [name];
    for (let at = name.indexOf('.'); at >= 0; at = name.indexOf('.', at + 1)) keys.push(name.slice(at));
    for (const key of keys) {
      const found = locatedValues(this.profiles, ['domain_realm', key])[0];
      if (found) return { ...found, key };
    }
    return undefined;
  }
}
