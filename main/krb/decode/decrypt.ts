import { getEnctype, type EncryptionType } from '../crypto';
import { decodeDer, type DecodeContext, type Schema } from '../der/schema';
import { KrbCryptoError, KrbDecodeError } from '../errors';
import { conclude } from '../explain';
import { verifyTicketSignatures } from '../messages/pac-signatures';
import { enctypeName } from '../names';
import { checkTreeDepth, type SealedKey, type TreeNode } from '../tree';
import { KeyUsage, keyUsageLabel } from '../usages';
import { sessionOf, type KeyEntry, type KeyOrigin, type KeyRole } from './keyring';

/** Key-bearing nodes (their type says so) inside a decrypted tree, not descending into nested decryptions. */
function secretRanges(node: TreeNode, out: [number, number][] = [], depth = 0): [number, number][] {
  checkTreeDepth(node, depth);
  if (node.type === 'OCTET STRING (key)') {
    // Mask the key bytes only, not the tag/length in front of them.
    const hidden = /^<(\d+) bytes hidden>$/.exec(String(node.value ?? ''));
    const keyLength = hidden ? Math.min(Number(hidden[1]), node.length) : node.length;
    out.push([node.offset + node.length - keyLength, keyLength]);
  }
  for (const child of node.children ?? []) secretRanges(child, out, depth + 1);
  return out;
}

/** The plaintext for the hex view, with key bytes zeroed unless the user revealed secrets. */
function plaintextView(plaintext: Buffer, tree: TreeNode, reveal: boolean): { plaintext: string; masked?: [number, number][] } {
  if (reveal) return { plaintext: plaintext.toString('hex') };
  const masked = secretRanges(tree);
  const copy = Buffer.from(plaintext);
  for (const [offset, length] of masked) copy.fill(0, offset, offset + length);
  return { plaintext: copy.toString('hex'), masked };
}

export interface EncryptedDataValue {
  etype: number;
  kvno?: number;
  cipher: Buffer;
}

/** Whose key each key usage needs (RFC 4120 §7.5.1, RFC 4121 §2), for a part left sealed. */
function sealedKeyOf(usage: number): SealedKey {
  switch (usage) {
    case KeyUsage.TICKET_ENC_PART:
      return 'service key';
    case KeyUsage.AS_REQ_PA_ENC_TIMESTAMP:
    case KeyUsage.AS_REP_ENC_PART:
      return 'client key';
    case KeyUsage.TGS_REQ_AUTHDATA_SESSION_KEY:
    case KeyUsage.TGS_REQ_AUTHDATA_SUBKEY:
    case KeyUsage.TGS_REQ_PA_AUTHENTICATOR:
    case KeyUsage.TGS_REP_ENC_PART_SESSION_KEY:
    case KeyUsage.TGS_REP_ENC_PART_SUBKEY:
    case KeyUsage.AP_REQ_AUTHENTICATOR:
    case KeyUsage.AP_REP_ENC_PART:
      return 'session key';
    default:
      return 'other key';
  }
}

/**
 * Keys that cannot be the one a part needs, so trying them proves nothing: a session key (from a
 * ccache, or learned) never encrypts a ticket (a user-to-user ticket that one opens still opens),
 * a long-term key (keytab, password) is never a session key, a ccache holds no client key.
 */
const CANNOT_HOLD: Record<SealedKey, readonly KeyOrigin[]> = {
  'service key': ['ccache', 'learned'],
  'session key': ['keytab', 'password'],
  'client key': ['ccache'],
  'other key': [],
};

/** "encrypted for mqtt/localhost@BENCH.TEST (kvno 2, aes256-cts-hmac-sha1-96)", "encrypted with the ticket session key (…)". */
function sealedNote(key: SealedKey, enc: EncryptedDataValue, usage: number, sealedFor: string | undefined): string {
  const etype = enctypeName(enc.etype);
  if (sealedFor) return `encrypted for ${sealedFor} (${enc.kvno !== undefined ? `kvno ${enc.kvno}, ` : ''}${etype})`;
  // keyUsageLabel: "11 (AP-REQ authenticator, ticket session key)" → "ticket session key".
  const keyWords = /, ([^,()]+)\)$/.exec(keyUsageLabel(usage))?.[1];
  return keyWords ? `encrypted with the ${keyWords} (${etype})` : `encrypted (${etype}, key usage ${keyUsageLabel(usage)})`;
}

/**
 * Why a ticket stayed closed, from the keytab keys on the ring: no key for its name, its kvno or
 * its enctype, or the right entry with the wrong key — the key-match verdicts `kbench explain-key`
 * gives, here for a key ring.
 */
function ticketVerdict(ring: readonly KeyEntry[], enc: EncryptedDataValue, sealedFor: string): string | undefined {
  const keytabKeys = ring.filter((k) => k.origin === 'keytab' && k.principal !== undefined);
  if (keytabKeys.length === 0) return undefined;
  const kvno = enc.kvno === undefined || enc.kvno === 0 ? null : enc.kvno;
  const verdicts = keytabKeys.map((k) => ({
    principal: k.principal!,
    kvno: k.kvno ?? 0,
    enctype: enctypeName(k.enctype),
    enctypeId: k.enctype,
    principalMatches: k.principal === sealedFor,
    kvnoMatches: kvno === null || k.kvno === kvno,
    enctypeMatches: k.enctype === enc.etype,
    // Every key of the ticket's enctype was tried and failed before this is asked.
    decrypts: k.enctype === enc.etype ? false : null,
  }));
  return conclude({ server: sealedFor, enctype: enctypeName(enc.etype), enctypeId: enc.etype, kvno }, verdicts, false);
}

/** The part stays closed: an error when a key that could open it failed, a neutral note when none was there. */
function recordClosed(encTree: TreeNode, enc: EncryptedDataValue, usage: number, candidates: readonly KeyEntry[], sealedFor: string | undefined, ring: readonly KeyEntry[] = []): void {
  const key = sealedKeyOf(usage);
  if (candidates.some((c) => !CANNOT_HOLD[key].includes(c.origin))) {
    delete encTree.sealed;
    const verdict = usage === KeyUsage.TICKET_ENC_PART && sealedFor ? ticketVerdict(ring, enc, sealedFor) : undefined;
    encTree.error = `${verdict ? `${verdict.replace(/\.$/, '')} — ` : ''}none of the ${candidates.length} ${enctypeName(enc.etype)} key(s) decrypts this (key usage ${keyUsageLabel(usage)}): tried ${candidates.map((c) => c.source).join('; ')}`;
  } else if (usage === KeyUsage.TICKET_ENC_PART && sealedFor && ticketVerdict(ring, enc, sealedFor)) {
    // No key of its enctype was there to try, but keytab keys of others are: still closed, not an
    // error, and the note says which part of the match fails.
    encTree.sealed = { key, note: `${sealedNote(key, enc, usage, sealedFor)}: ${ticketVerdict(ring, enc, sealedFor)!}` };
  } else {
    encTree.sealed = { key, note: sealedNote(key, enc, usage, sealedFor) };
  }
}

/**
 * Tries every key on the session's ring that matches the etype; the first that decrypts wins.
 * The plaintext is decoded with `schema` and hung under the encrypted field's tree node as
 * `decrypted`, naming the key usage and the key. Failures are recorded on the node, never thrown:
 * a message whose encrypted part we cannot open is still a fine message to show. A part no key on
 * the ring could open (none of its enctype, or only keys of the wrong kind) gets a `sealed` note
 * saying for whom it is encrypted (`sealedFor`: the ticket's service), not an error.
 */
export function decryptField<T>(
  ctx: DecodeContext,
  encTree: TreeNode | undefined,
  enc: EncryptedDataValue,
  usage: number,
  schema: Schema<T>,
  structure: string,
  onDecrypted?: (value: T, key: KeyEntry) => void,
  sealedFor?: string,
  likely: readonly (KeyEntry | undefined)[] = [],
  /** The part is sealed with the session key of a ticket in this role (an authenticator: the ticket it came with). */
  presented?: KeyRole,
): T | undefined {
  const session = sessionOf(ctx.extra);
  if (!session || !encTree) return undefined;
  if (session.keyring.size === 0) return void recordClosed(encTree, enc, usage, [], sealedFor);
  const enctype = getEnctype(enc.etype);
  if (!enctype) {
    encTree.error = `cannot decrypt: ${enctypeName(enc.etype)} is not supported`;
    return undefined;
  }
  const ring = session.keyring;
  const sealedWith = sealedKeyOf(usage);
  const named = usage === KeyUsage.TICKET_ENC_PART && sealedFor ? ring.made().filter((k) => k.principal === sealedFor && kvnoFits(k, enc)) : [];
  const canSeal = (key: KeyEntry): boolean => roleCanSeal(key.role, usage, presented);
  for (const candidate of ring.trialOrder(enc.etype, [...likely, ...named], sealedWith === 'service key' || sealedWith === 'client key').filter(canSeal)) {
    const plaintext = tryKey(enctype, candidate, usage, enc.cipher);
    if (!plaintext) continue;
    ring.noteUse(candidate);
    delete encTree.sealed;
    const keySource = candidate.source + underAnotherName(candidate, enc, usage, sealedFor);
    const value = openedPart(ctx, encTree, plaintext, { keyUsage: keyUsageLabel(usage), keySource }, schema, structure, (v) => onDecrypted?.(v, candidate));
    // A PAC's ticket signature covers the EncTicketPart around it: checkable only now.
    if (usage === KeyUsage.TICKET_ENC_PART && encTree.decrypted) verifyTicketSignatures(plaintext, encTree.decrypted.tree);
    return value;
  }
  recordClosed(encTree, enc, usage, ring.candidates(enc.etype).filter(canSeal), sealedFor, ring.made());
  return undefined;
}

/**
 * Whether a learned key in this role can seal a part of this key usage (RFC 4120 §7.5.1, RFC 6113
 * §5.4.3). Trying the others can only fail, and in a capture of many sessions every part no key
 * opens was tried against every learned key: parts × keys (issue 18: 120 sessions, 23.7× the scan
 * without keys, 3.8× the time for twice the sessions).
 */
function roleCanSeal(role: KeyRole | undefined, usage: number, presented: KeyRole | undefined): boolean {
  if (role === undefined) return true;
  if (presented !== undefined) return role === presented;
  switch (usage) {
    // The service's long-term key, or a TGT's session key for a user-to-user ticket (§3.3.3).
    case KeyUsage.TICKET_ENC_PART:
      return role === 'tgt-session';
    // The client's long-term key.
    case KeyUsage.AS_REQ_PA_ENC_TIMESTAMP:
      return false;
    // The reply key: the client's long-term key, strengthened by FAST when the KDC sends a strengthen-key.
    case KeyUsage.AS_REP_ENC_PART:
      return role === 'fast-reply';
    // The session key of the ticket presented: a TGT, or the ticket a renewal or validation presents.
    case KeyUsage.TGS_REQ_AUTHDATA_SESSION_KEY:
    case KeyUsage.TGS_REQ_PA_AUTHENTICATOR:
    case KeyUsage.AP_REQ_AUTHENTICATOR:
    case KeyUsage.AP_REP_ENC_PART:
      return role === 'tgt-session' || role === 'ticket-session';
    case KeyUsage.TGS_REP_ENC_PART_SESSION_KEY:
      return role === 'tgt-session' || role === 'ticket-session' || role === 'fast-reply';
    // The TGS-REQ authenticator's subkey.
    case KeyUsage.TGS_REQ_AUTHDATA_SUBKEY:
      return role === 'tgs-subkey';
    case KeyUsage.TGS_REP_ENC_PART_SUBKEY:
      return role === 'tgs-subkey' || role === 'fast-reply';
    // RFC 6113 §5.4.1-5.4.3: the armor key (KRB-FX-CF2 of the armor AP-REQ's subkey and ticket session key).
    case KeyUsage.FAST_REQ_CHKSUM:
    case KeyUsage.FAST_ENC:
    case KeyUsage.FAST_REP:
    case KeyUsage.FAST_FINISHED:
      return role === 'fast';
    default:
      return true;
  }
}

/** The keytab entry's kvno is the ticket's (or either does not say). */
function kvnoFits(key: KeyEntry, enc: EncryptedDataValue): boolean {
  return key.kvno === undefined || enc.kvno === undefined || enc.kvno === 0 || key.kvno === enc.kvno;
}

/**
 * One trial: the plaintext, or null when the key does not fit. A wrong key is the usual answer
 * here, so it is tryDecrypt's null, not a thrown KrbCryptoError with its stack trace; a key the
 * enctype refuses outright (a wrong length) is no fit either.
 */
function tryKey(enctype: EncryptionType, candidate: KeyEntry, usage: number, cipher: Buffer): Buffer | null {
  try {
    return enctype.tryDecrypt(candidate.key, usage, cipher);
  } catch (error) {
    if (error instanceof KrbCryptoError) return null;
    throw error;
  }
}

/**
 * A ticket opened by a key filed under another name or kvno: every key of the enctype is tried
 * (an alias, a renamed principal, a keytab whose kvno numbering drifted), and the bench says so.
 */
function underAnotherName(candidate: KeyEntry, enc: EncryptedDataValue, usage: number, sealedFor: string | undefined): string {
  if (usage !== KeyUsage.TICKET_ENC_PART || !sealedFor || candidate.principal === undefined) return '';
  const notes: string[] = [];
  if (candidate.principal !== sealedFor) notes.push(`opened under another name: the ticket is for ${sealedFor}, the key is ${candidate.principal}'s`);
  if (candidate.kvno !== undefined && enc.kvno !== undefined && enc.kvno !== 0 && candidate.kvno !== enc.kvno) notes.push(`the ticket says kvno ${enc.kvno}, the key is kvno ${candidate.kvno}`);
  return notes.length ? ` — ${notes.join('; ')}` : '';
}

/** Decodes a decrypted plaintext with `schema` and hangs it under the encrypted field's node. */
function openedPart<T>(
  ctx: DecodeContext,
  encTree: TreeNode,
  plaintext: Buffer,
  part: { keyUsage: string; keySource: string },
  schema: Schema<T>,
  structure: string,
  onDecoded: (value: T) => void,
): T | undefined {
  try {
    const decoded = decodeDer(schema, plaintext, structure, { base: 0, revealSecrets: ctx.revealSecrets, extra: ctx.extra, exact: false, depth: ctx.depth + 1 });
    encTree.decrypted = { ...part, tree: decoded.tree, ...plaintextView(plaintext, decoded.tree, ctx.revealSecrets) };
    onDecoded(decoded.value);
    return decoded.value;
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    encTree.decrypted = {
      ...part,
      tree: { name: structure, type: 'plaintext', offset: 0, length: plaintext.length, value: plaintext.toString('hex'), error: error.message },
    };
    return undefined;
  }
}
