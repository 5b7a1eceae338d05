/**
 * Whether the AD scenarios can run on this machine: the doctor's `ad-lab` check (Samba's DC and
 * tools, root, LDAP's port 389 free or held by the lab's own DC) says it, before anything is tried,
 * so `kbench scenario run ad-…` fails with a sentence to act on rather than a Samba error.
 */
import { adLabFacts, adLabFinding, type AdLabFacts } from '../../system/ad-lab-check';

/** Why the AD lab cannot run with these facts, with the fix; null when it can. */
export function adLabProblem(facts: AdLabFacts): string | null {
  const finding = adLabFinding(facts);
  return finding.ok ? null : `the AD lab cannot run here: ${finding.detail}. ${finding.fix}`;
}

/** Why the AD lab cannot run here, or null. */
export async function adLabUnavailable(): Promise<string | null> {
  return adLabProblem(await adLabFacts());
}
