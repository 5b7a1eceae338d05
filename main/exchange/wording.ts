/**
 * How the bench words Exchange fields in one line of a log. Wording only: the broker's admission
 * summary and `kbench broker`'s verdict lines say the same (eslint.config.js lets main/cli format
 * with this module).
 */
import type { AuthChainVerdict } from './model';

/**
 * The trace in one line for the broker's log: "usernamePassword -(no username) > kerberos +/+ ⇒
 * allowed by kerberos". `+`/`-` relevant, then `/+` `/-` valid; reasons in brackets when not relevant.
 */
export function traceLine(verdict: AuthChainVerdict): string {
  const steps = verdict.trace.map((e) => {
    if (!e.relevant) return `${e.method} -(${e.why.replace(/^not relevant: /, '')})`;
    return `${e.method} +/${e.valid === undefined ? '?' : e.valid ? '+' : '-'}`;
  });
  const end = verdict.endedBy ? `${verdict.allowed ? 'allowed' : 'denied'} by ${verdict.endedBy}` : verdict.allowed ? 'allowed (authentication disabled)' : 'denied (nothing relevant)';
  return `chain[${[...steps, `=> ${end}`].join(' > ')}]`;
}
