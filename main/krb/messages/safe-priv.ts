/**
 * KRB-SAFE and KRB-PRIV (RFC 4120 §5.6–5.7): application data after an AP exchange, integrity
 * protected or encrypted with the session key or a subkey. kpasswd (RFC 3244) carries its request
 * and reply in a KRB-PRIV; the user-data is read by kpasswd.ts, which knows what it holds.
 *
 * KRB-SAFE's checksum covers the DER of safe-body as sent, key usage 15; KRB-PRIV's enc-part is
 * EncKrbPrivPart, key usage 13. Both are tried with every key the session has learnt.
 */
import { app, field, KerberosTime, optional, seq, UInt32, OctetString, type DecodeContext, type Infer } from '../der/schema';
import { addChecksumVerdict, checkKeyedChecksum, wrappedValueBytes } from '../decode/checksum';
import { decryptField } from '../decode/decrypt';
import { sessionOf } from '../decode/keyring';
import { derExplicit, derInteger, derSequence } from '../der/writer';
import { KrbDecodeError } from '../errors';
import type { TreeNode } from '../tree';
import { KeyUsage } from '../usages';
import { Checksum, EncryptedData, HostAddress, Microseconds, MsgType, Pvno } from './common';

/** The fields KRB-SAFE-BODY and EncKrbPrivPart share. s-address is required by RFC 4120 but not every sender fills it. */
const protectedFields = {
  userData: field(0, 'user-data', OctetString),
  timestamp: optional(1, 'timestamp', KerberosTime),
  usec: optional(2, 'usec', Microseconds),
  seqNumber: optional(3, 'seq-number', UInt32),
  sAddress: optional(4, 's-address', HostAddress),
  rAddress: optional(5, 'r-address', HostAddress),
};

const summarizeUserData = (v: { userData: Buffer; seqNumber?: number }): string =>
  `${v.userData.length} byte(s) of user-data${v.seqNumber !== undefined ? `, seq-number ${v.seqNumber}` : ''}`;

export const KrbSafeBody = seq('KRB-SAFE-BODY', protectedFields, { summarize: summarizeUserData });
export const EncKrbPrivPart = app(28, 'EncKrbPrivPart', seq('EncKrbPrivPart', protectedFields, { summarize: summarizeUserData }));
export type EncKrbPrivPart = Infer<typeof EncKrbPrivPart>;

interface KrbSafeValue {
  pvno: number;
  msgType: number;
  cksum: Infer<typeof Checksum>;
}

/**
 * What MIT's krb5_mk_safe checksums: the whole KRB-SAFE re-encoded with an empty checksum
 * (cksumtype 0, no bytes) — the RFC 1510 reading. RFC 4120 checksums safe-body alone; MIT's
 * krb5_rd_safe accepts both, and so do we.
 */
function wholeMessageWithEmptyChecksum(value: KrbSafeValue, body: Uint8Array): Buffer {
  const emptyChecksum = Checksum.encode({ cksumtype: 0, checksum: Buffer.alloc(0) });
  const fields = [derExplicit('context', 0, derInteger(value.pvno)), derExplicit('context', 1, derInteger(value.msgType)), derExplicit('context', 2, body), derExplicit('context', 3, emptyChecksum)];
  return derExplicit('application', 20, derSequence(fields));
}

/** Verifies the checksum with the session's keys (over safe-body, then MIT's way); the verdict hangs under cksum. */
function refineKrbSafe(value: KrbSafeValue, trees: Record<string, TreeNode | undefined>, ctx: DecodeContext): void {
  const bodyTree = trees.safeBody;
  const cksumTree = trees.cksum;
  const keys = sessionOf(ctx.extra)?.keyring ?? [];
  if (!bodyTree || !cksumTree) return;
  try {
    const { cksumtype, checksum } = value.cksum;
    const body = wrappedValueBytes(ctx.input, bodyTree);
    let result = checkKeyedChecksum(cksumtype, KeyUsage.KRB_SAFE_CKSUM, body, checksum, keys);
    if (!result.verified) {
      const whole = checkKeyedChecksum(cksumtype, KeyUsage.KRB_SAFE_CKSUM, wholeMessageWithEmptyChecksum(value, body), checksum, keys);
      if (whole.verified) result = { ...whole, verified: { ...whole.verified, source: `${whole.verified.source} (over the whole KRB-SAFE with an empty checksum, as MIT computes it)` } };
    }
    addChecksumVerdict(cksumTree, cksumtype, KeyUsage.KRB_SAFE_CKSUM, result, 'the session key or subkey of the AP exchange before it', 'safe-body');
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    cksumTree.error = error.message;
  }
}

export const KrbSafe = app(
  20,
  'KRB-SAFE',
  seq(
    'KRB-SAFE',
    {
      pvno: field(0, 'pvno', Pvno),
      msgType: field(1, 'msg-type', MsgType),
      safeBody: field(2, 'safe-body', KrbSafeBody),
      cksum: field(3, 'cksum', Checksum),
    },
    { refine: refineKrbSafe, summarize: (v) => summarizeUserData(v.safeBody) },
  ),
);
export type KrbSafe = Infer<typeof KrbSafe>;

/**
 * The EncKrbPrivPart of each KRB-PRIV value that a key opened, for kpasswd.ts: the framing around
 * the message knows what its user-data holds, and reads it without decrypting twice.
 */
export const privPlaintexts = new WeakMap<object, EncKrbPrivPart>();

export const KrbPriv = app(
  21,
  'KRB-PRIV',
  seq(
    'KRB-PRIV',
    {
      pvno: field(0, 'pvno', Pvno),
      msgType: field(1, 'msg-type', MsgType),
      // [2] is unused: enc-part is [3] (RFC 4120 §5.7.1).
      encPart: field(3, 'enc-part', EncryptedData),
    },
    {
      refine: (value, trees, ctx) => {
        decryptField(ctx, trees.encPart, value.encPart, KeyUsage.KRB_PRIV_ENC_PART, EncKrbPrivPart, 'EncKrbPrivPart', (part) => privPlaintexts.set(value, part));
      },
      summarize: (v) => `${v.encPart.cipher.length} encrypted bytes`,
    },
  ),
);
export type KrbPriv = Infer<typeof KrbPriv>;
