/**
 * A real NTLM mechanism for MIT's GSS-API: Debian's gss-ntlmssp, switched on per process (never in
 * /etc/gss/mech.d) through MIT's GSS_MECH_CONFIG, with users from an NTLM_USER_FILE
 * ("DOMAIN:user:password" lines, the Heimdal format gssntlmssp(8) reads). Both files live in a
 * world-readable temp dir: Apache's children run as nobody when the tests run as root.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const NTLMSSP_MODULE = '/usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so';
/** [MS-NLMP] NTLMSSP's GSS mechanism OID, as gss-ntlmssp registers it. */
export const NTLMSSP_OID = '1.3.6.1.4.1.311.2.2.10';

export function ntlmMissing(): string | undefined {
  return existsSync(NTLMSSP_MODULE) ? undefined : 'gss-ntlmssp is not installed (apt-get install gss-ntlmssp)';
}

export const skipUnlessNtlm: boolean = (() => {
  const missing = ntlmMissing();
  if (missing) process.stderr.write(`skipping NTLM tests: ${missing}\n`);
  return missing !== undefined;
})();

export interface NtlmFiles {
  dir: string;
  /** For GSS_MECH_CONFIG: MIT loads this mechanism list instead of /etc/gss/mech*. */
  mechConfig: string;
  /** For NTLM_USER_FILE. */
  userFile: string;
  /** The environment that gives a process the NTLM mechanism (and, for an initiator, its user). */
  env(user?: string): Record<string, string>;
  destroy(): Promise<void>;
}

export async function createNtlmFiles(domain: string, users: { user: string; password: string }[]): Promise<NtlmFiles> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-ntlm-'));
  await chmod(dir, 0o755);
  const mechConfig = path.join(dir, 'mech.conf');
  const userFile = path.join(dir, 'ntlm-users');
  await writeFile(mechConfig, `gssntlmssp_v1 ${NTLMSSP_OID} ${NTLMSSP_MODULE}\n`, { mode: 0o644 });
  await writeFile(userFile, users.map((u) => `${domain}:${u.user}:${u.password}\n`).join(''), { mode: 0o644 });
  return {
    dir,
    mechConfig,
    userFile,
    env: (user) => ({ GSS_MECH_CONFIG: mechConfig, NTLM_USER_FILE: userFile, NETBIOS_DOMAIN_NAME: domain, ...(user ? { NTLMUSER: user } : {}) }),
    destroy: () => rm(dir, { recursive: true, force: true }),
  };
}
