/**
 * Check 8: the `kerberos` npm binding loads. It is what the bench's own GSS workers (and any
 * Node service like it) use; the doctor's probe runs it in a throwaway process, so a crash or a
 * missing libgssapi_krb5 comes back as text with the real cause.
 */
import { probeKerberosBinding } from '../../system/kerberos-binding';
import { EnvFindingId } from './catalog-map';
import { measure, type Collector } from './types';

/** Starting Node and dlopening GSSAPI takes ~0.3 s here; a loaded 2-core machine needs more. */
const BINDING_TIMEOUT_MS = 4000;

export async function checkBinding(out: Collector): Promise<void> {
  await out.run('kerberos-binding', async () => {
    const status = await probeKerberosBinding({ timeoutMs: BINDING_TIMEOUT_MS });
    if (status.loads) {
      const measured = [measure('version', status.version ?? '?'), ...(status.library ? [measure('GSSAPI library', status.library)] : [])];
      return { ok: true, detail: `kerberos ${status.version ?? '?'} loads${status.library ? ` and uses ${status.library}` : ''}`, measured };
    }
    out.finding({
      id: EnvFindingId.bindingLoad,
      title: 'The kerberos binding does not load',
      confidence: 0.6,
      cause: `require('kerberos') fails: ${status.error ?? 'unknown error'}. The bench's GSS workers (and Node services built on the same package) cannot run GSSAPI.`,
      fix: status.fix ?? 'Reinstall dependencies: npm ci',
      ...(commandOf(status.fix) ? { commands: [commandOf(status.fix)!] } : {}),
      evidence: [{ source: 'kerberos binding probe', text: status.error ?? 'did not load' }],
    });
    return { ok: false, detail: status.error ?? 'does not load' };
  });
}

/** The doctor words fixes as "What to do: command (note)": the part to copy. */
function commandOf(fix: string | undefined): string | undefined {
  return fix && /:\s*(\S.*)$/.exec(fix)?.[1]?.replace(/\s*\([^)]*\)$/, '');
}
