/**
 * The options every `kbench lab …` command shares: which realm (--realm R) and which kind of realm
 * (--kind mit|ad). Without --realm the kind picks the default realm (BENCH.TEST for mit, AD.TEST
 * for ad); an existing realm keeps its kind and the lab service refuses the other one.
 */
import { DEFAULT_AD_REALM, DEFAULT_LAB_REALM, type LabKind, type LabTarget } from '../../api/lab';
import { UsageError, type CommandInput } from '../command';
import { str } from '../password-options';

export const LAB_KINDS: readonly LabKind[] = ['mit', 'ad'];

export const REALM_HELP =
  `Every lab command takes --realm R and --kind mit|ad: without --realm, --kind picks the realm (mit: ${DEFAULT_LAB_REALM},\n` +
  `the default; ad: ${DEFAULT_AD_REALM}, a Samba AD DC). The realm lives in $KBENCH_DATA_DIR/lab/R (or the platform data\n` +
  'directory); an existing realm keeps its kind.';
export const PASSWORD_HELP = 'Passwords: --password P shows in the process list; prefer KBENCH_PASSWORD or --password-stdin.';

export const COMMON = { realm: { type: 'string' }, kind: { type: 'string' }, json: { type: 'boolean' } } as const;

/** --kind, validated; `fallback` when it is not given (undefined: the realm's own kind decides). */
export function kindOf(input: CommandInput, fallback?: LabKind): LabKind | undefined {
  const kind = str(input, 'kind');
  if (kind === undefined) return fallback;
  if (!(LAB_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--kind must be mit or ad, not "${kind}"`);
  return kind as LabKind;
}

/** The realm and kind a lab command acts on (`defaultKind` for commands that belong to one kind). */
export function labTarget(input: CommandInput, defaultKind?: LabKind): LabTarget {
  const realm = str(input, 'realm');
  const kind = kindOf(input, defaultKind);
  return { ...(realm !== undefined ? { realm } : {}), ...(kind ? { kind } : {}) };
}

/** The `kbench lab up` a realm needs: "--kind ad", "--realm R" only when they differ from the defaults. */
export function upHint(realm: string, kind: LabKind): string {
  const flags = [kind === 'ad' ? ' --kind ad' : '', realm !== (kind === 'ad' ? DEFAULT_AD_REALM : DEFAULT_LAB_REALM) ? ` --realm ${realm}` : ''].join('');
  return `kbench lab up${flags}`;
}
