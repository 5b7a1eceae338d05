/**
 * Whether the AD scenarios can run on this machine: Samba's AD DC runs on Linux, as root (it
 * provisions sysvol ACLs and binds LDAP on 127.0.0.1:389), and needs Samba's tools. Said before
 * anything is tried, with the fix, so `kbench scenario run ad-…` fails with a sentence to act on
 * rather than a Samba error.
 */
import { findExecutable } from '../../system/exec';

/** The programs the AD lab cannot do without (MIT's kinit is checked by every lab). */
const AD_TOOLS = ['samba', 'samba-tool', 'ldbsearch', 'ldbmodify'] as const;

export interface AdHostFacts {
  platform: NodeJS.Platform;
  /** This process runs as root (uid 0). */
  root: boolean;
  /** Tools of AD_TOOLS not found on PATH or in the sbin directories. */
  missingTools: string[];
}

/** Why the AD lab cannot run with these facts, with the fix; null when it can. */
export function adLabProblem(facts: AdHostFacts): string | null {
  if (facts.platform !== 'linux') return 'the AD lab runs on Linux only (a Samba AD domain controller on loopback)';
  if (facts.missingTools.length) {
    return `the AD lab needs Samba's AD DC, and ${facts.missingTools.join(', ')} ${facts.missingTools.length === 1 ? 'is' : 'are'} missing: run sudo scripts/setup.sh (it installs samba, ldb-tools and the rest), then try again`;
  }
  if (!facts.root) return "the AD lab's Samba domain controller must run as root (it binds LDAP on 127.0.0.1:389): run kbench as root (sudo kbench scenario run …), or use the MIT scenarios, which need no root";
  return null;
}

/** This machine's facts. */
export async function adHostFacts(): Promise<AdHostFacts> {
  const missingTools: string[] = [];
  for (const tool of AD_TOOLS) if (!(await findExecutable(tool))) missingTools.push(tool);
  return { platform: process.platform, root: process.getuid?.() === 0, missingTools };
}

/** Why the AD lab cannot run here, or null. */
export async function adLabUnavailable(): Promise<string | null> {
  return adLabProblem(await adHostFacts());
}
