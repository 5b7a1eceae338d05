/**
 * How the bench words a few Kerberos values for people: salts and klist's flag letters. Wording
 * only — no parsing, no crypto, no I/O — so the CLI may format service results with it
 * (eslint.config.js allows main/cli this one module of main/krb) and the engine's own messages
 * (krb/explain, the Keytab service) say the same thing.
 */

/** A salt as a key was made with it: `salt` (a candidate) or `used` (a finding). */
export type WordedSalt = { kind: 'mit' | 'ad-user' | 'ad-computer'; account?: string } & ({ salt: string } | { used: string });

/** "the MIT default salt "AD.TESTmqttbroker.ad.test"", "the AD salt of account svc-mqtt "AD.TESTsvc-mqtt"". */
export function describeSalt(candidate: WordedSalt): string {
  const salt = 'salt' in candidate ? candidate.salt : candidate.used;
  if (candidate.kind === 'mit') return `the MIT default salt "${salt}"`;
  if (candidate.kind === 'ad-computer') return `the AD computer salt of ${candidate.account?.replace(/\$$/, '') ?? '?'}$ "${salt}"`;
  return `the AD salt of account ${candidate.account ?? '?'} "${salt}"`;
}

/** MIT ticket flag letters as klist -f prints them, in klist's order. */
export const KLIST_FLAG_LETTERS: [string, string][] = [
  ['forwardable', 'F'],
  ['forwarded', 'f'],
  ['proxiable', 'P'],
  ['proxy', 'p'],
  ['may-postdate', 'D'],
  ['postdated', 'd'],
  ['renewable', 'R'],
  ['initial', 'I'],
  ['invalid', 'i'],
  ['hw-authent', 'H'],
  ['pre-authent', 'A'],
  ['transited-policy-checked', 'T'],
  ['ok-as-delegate', 'O'],
  ['anonymous', 'a'],
];
