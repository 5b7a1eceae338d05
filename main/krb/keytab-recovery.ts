/**
 * Reading what can be read of a damaged keytab, as `klist -k` users expect from a tool that
 * explains rather than refuses. Two kinds of damage are common in the wild:
 *
 * - every record length off by the same amount (a writer that counted the 4-byte size field, or
 *   forgot the 32-bit kvno it wrote): when one constant makes the whole file read cleanly, it is
 *   read that way and the damage says so;
 * - anything else (a truncated copy, a corrupted record): the entries before the first bad record
 *   are read, and the damage says where and how it starts.
 */
import { KrbDecodeError } from './errors';
import { parseKeytab, type ParsedKeytab } from './keytab';

export interface KeytabDamage {
  /** Where the damage starts (byte offset of the first bad record, or 2: all of them). */
  offset: number;
  /** What is wrong, in words. */
  message: string;
}

export interface RecoveredKeytab extends ParsedKeytab {
  damage: KrbDecodeError;
  summary: KeytabDamage;
}

/** Offsets a writer's record lengths have been seen (or can plausibly be) off by. */
const LENGTH_ERRORS = [4, -4, 8, -8, 2, -2, 1, -1];

function readsWith(bytes: Uint8Array, sizeAdjust: number, revealKeys: boolean | undefined): ParsedKeytab | undefined {
  try {
    const parsed = parseKeytab(bytes, { sizeAdjust, revealKeys });
    return parsed.keytab.entries.length > 0 ? parsed : undefined;
  } catch (error) {
    if (error instanceof KrbDecodeError) return undefined;
    throw error;
  }
}

/**
 * For bytes that do not parse as a keytab: the entries that can be read and the damage; undefined
 * when nothing can be (not a keytab at all, or broken from its first record).
 */
export function recoverKeytab(bytes: Uint8Array, strictError: KrbDecodeError, options: { revealKeys?: boolean } = {}): RecoveredKeytab | undefined {
  for (const adjust of LENGTH_ERRORS) {
    const parsed = readsWith(bytes, adjust, options.revealKeys);
    if (!parsed) continue;
    const message = `every record length is off by ${adjust} (${adjust > 0 ? 'larger' : 'smaller'} than the entry it holds): read with the lengths corrected`;
    return { ...parsed, damage: strictError, summary: { offset: 2, message } };
  }
  let partial: ParsedKeytab;
  try {
    partial = parseKeytab(bytes, { partial: true, revealKeys: options.revealKeys });
  } catch (error) {
    if (error instanceof KrbDecodeError) return undefined;
    throw error;
  }
  if (!partial.damage || partial.keytab.entries.length === 0) return undefined;
  const { damage } = partial;
  const count = partial.keytab.entries.length;
  return {
    ...partial,
    damage,
    summary: { offset: damage.offset, message: `the ${count} entr${count === 1 ? 'y' : 'ies'} before byte ${damage.offset} read; from there: ${damage.message}` },
  };
}
