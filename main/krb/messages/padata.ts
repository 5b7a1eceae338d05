/**
 * PA-DATA (RFC 4120 §5.2.7) and what hides in padata-value: ETYPE-INFO2 (salts for the
 * client's password), PA-ENC-TIMESTAMP (encrypted pre-authentication), PA-TGS-REQ (an AP-REQ),
 * PA-PAC-REQUEST, PA-SUPPORTED-ENCTYPES, FAST, S4U2self's PA-FOR-USER and PA-S4U-X509-USER.
 * METHOD-DATA is a SEQUENCE OF PA-DATA (KRB-ERROR e-data).
 */
import {
  Boolean_,
  decodeContained,
  field,
  KerberosString,
  KerberosTime,
  namedInt,
  OctetString,
  optional,
  seq,
  seqOf,
  type DecodeContext,
  type Infer,
  type Schema,
} from '../der/schema';
import { decryptField } from '../decode/decrypt';
import { sessionOf } from '../decode/keyring';
import { KrbDecodeError } from '../errors';
import { enctypeName } from '../names';
import type { TreeNode } from '../tree';
import { KeyUsage } from '../usages';
import { EncryptedData, EtypeInt, Microseconds } from './common';
import { fastLate, learnChallengeKey, PaFxFastReply, PaFxFastRequest } from './fast';
import { PaForUser, PaS4uX509User } from './s4u';

export const PA_TYPES: Record<number, string> = {
  1: 'PA-TGS-REQ',
  2: 'PA-ENC-TIMESTAMP',
  3: 'PA-PW-SALT',
  11: 'PA-ETYPE-INFO',
  16: 'PA-PK-AS-REQ',
  17: 'PA-PK-AS-REP',
  19: 'PA-ETYPE-INFO2',
  20: 'PA-SVR-REFERRAL-INFO',
  128: 'PA-PAC-REQUEST',
  129: 'PA-FOR-USER',
  130: 'PA-S4U-X509-USER',
  133: 'PA-FX-COOKIE',
  136: 'PA-FX-FAST',
  137: 'PA-FX-ERROR',
  138: 'PA-ENCRYPTED-CHALLENGE',
  141: 'PA-OTP-CHALLENGE',
  147: 'PA-PKINIT-KX',
  149: 'PA-REQ-ENC-PA-REP',
  150: 'PA-AS-FRESHNESS',
  151: 'PA-SPAKE',
  165: 'PA-SUPPORTED-ENCTYPES',
  167: 'PA-PAC-OPTIONS',
};

export const PaType = namedInt('Int32 (padata-type)', (v) => PA_TYPES[v]);

export const EtypeInfo2Entry = seq(
  'ETYPE-INFO2-ENTRY',
  {
    etype: field(0, 'etype', EtypeInt),
    salt: optional(1, 'salt', KerberosString),
    s2kparams: optional(2, 's2kparams', OctetString),
  },
  { summarize: (v) => `${enctypeName(v.etype)}${v.salt !== undefined ? `, salt "${v.salt}"` : ''}` },
);
export const EtypeInfo2 = seqOf(EtypeInfo2Entry, 'ETYPE-INFO2', 'ETYPE-INFO2-ENTRY');
export type EtypeInfo2 = Infer<typeof EtypeInfo2>;

export const EtypeInfoEntry = seq('ETYPE-INFO-ENTRY', {
  etype: field(0, 'etype', EtypeInt),
  salt: optional(1, 'salt', OctetString),
});
export const EtypeInfo = seqOf(EtypeInfoEntry, 'ETYPE-INFO', 'ETYPE-INFO-ENTRY');

export const PaEncTsEnc = seq('PA-ENC-TS-ENC', {
  patimestamp: field(0, 'patimestamp', KerberosTime),
  pausec: optional(1, 'pausec', Microseconds),
});

export const PaPacRequest = seq('KERB-PA-PAC-REQUEST', { includePac: field(0, 'include-pac', Boolean_) });

/**
 * The AP-REQ inside PA-TGS-REQ is registered by kdc.ts (it needs ap.ts, which needs this file),
 * so padata-value decoding of type 1 goes through this late-bound slot.
 */
export const late: { tgsApReq?: Schema<unknown> } = {};

interface PaDataValue {
  padataType: number;
  padataValue: Buffer;
}

function decodeInto(schema: Schema<unknown>, ctx: DecodeContext, tree: TreeNode, length: number, structure: string): unknown {
  const inner = decodeContained(schema, ctx, tree, length, structure);
  tree.children = [inner.tree];
  return inner.value;
}

function refinePaData(value: PaDataValue, trees: Record<string, TreeNode | undefined>, ctx: DecodeContext): void {
  const tree = trees.padataValue;
  if (!tree || value.padataValue.length === 0) return;
  const name = PA_TYPES[value.padataType] ?? 'PA-DATA';
  try {
    switch (value.padataType) {
      case 19: {
        const entries = decodeInto(EtypeInfo2, ctx, tree, value.padataValue.length, name) as EtypeInfo2;
        sessionOf(ctx.extra)?.learnSalts?.(entries);
        break;
      }
      case 11:
        decodeInto(EtypeInfo, ctx, tree, value.padataValue.length, name);
        break;
      case 128:
        decodeInto(PaPacRequest, ctx, tree, value.padataValue.length, name);
        break;
      case 3:
        tree.value = value.padataValue.toString('utf8');
        break;
      case 165:
        if (value.padataValue.length === 4) {
          const mask = value.padataValue.readUInt32LE(0);
          tree.value = `0x${mask.toString(16)} (${supportedEnctypesNames(mask).join(', ') || 'none'})`;
        }
        break;
      case 2: {
        const enc = decodeInto(EncryptedData, ctx, tree, value.padataValue.length, name) as Infer<typeof EncryptedData>;
        decryptField(ctx, tree.children?.[0], enc, KeyUsage.AS_REQ_PA_ENC_TIMESTAMP, PaEncTsEnc, 'PA-ENC-TS-ENC');
        break;
      }
      case 1:
        if (late.tgsApReq) decodeInto(late.tgsApReq, ctx, tree, value.padataValue.length, 'AP-REQ (PA-TGS-REQ)');
        break;
      case 138: {
        // PA-ENCRYPTED-CHALLENGE: from the client (usage 54) in a FAST request, from the KDC (55) in a reply.
        const enc = decodeInto(EncryptedData, ctx, tree, value.padataValue.length, name) as Infer<typeof EncryptedData>;
        const usage = learnChallengeKey(ctx, enc) ?? KeyUsage.ENC_CHALLENGE_CLIENT;
        decryptField(ctx, tree.children?.[0], enc, usage, PaEncTsEnc, 'PA-ENC-TS-ENC');
        break;
      }
      case 136:
        decodeFast(ctx, tree, value.padataValue.length);
        break;
      case 129:
        decodeInto(PaForUser as Schema<unknown>, ctx, tree, value.padataValue.length, name);
        break;
      case 130:
        decodeInto(PaS4uX509User as Schema<unknown>, ctx, tree, value.padataValue.length, name);
        break;
      default:
        break;
    }
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    tree.error = error.message;
  }
}

/** PA-FX-FAST carries a request in KDC-REQs and a reply in KDC-REPs and KRB-ERRORs; the shapes differ. */
function decodeFast(ctx: DecodeContext, tree: TreeNode, length: number): void {
  try {
    decodeInto(PaFxFastRequest as Schema<unknown>, ctx, tree, length, 'PA-FX-FAST-REQUEST');
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    decodeInto(PaFxFastReply as Schema<unknown>, ctx, tree, length, 'PA-FX-FAST-REPLY');
  }
}

/**
 * msDS-SupportedEncryptionTypes bits (MS-KILE §2.2.7), a little-endian uint32: the enctypes in the
 * low byte, the features in the third (0x10000 FAST, 0x20000 compound identity, 0x40000 claims,
 * 0x80000 resource SID compression disabled).
 */
export function supportedEnctypesNames(mask: number): string[] {
  const bits: [number, string][] = [
    [0x1, 'des-cbc-crc'],
    [0x2, 'des-cbc-md5'],
    [0x4, 'arcfour-hmac'],
    [0x8, 'aes128-cts-hmac-sha1-96'],
    [0x10, 'aes256-cts-hmac-sha1-96'],
    [0x20, 'aes256-cts-hmac-sha1-96-sk'],
    [0x10000, 'fast-supported'],
    [0x20000, 'compound-identity-supported'],
    [0x40000, 'claims-supported'],
    [0x80000, 'resource-sid-compression-disabled'],
  ];
  return bits.filter(([bit]) => mask & bit).map(([, name]) => name);
}

export const PaData = seq(
  'PA-DATA',
  {
    padataType: field(1, 'padata-type', PaType),
    padataValue: field(2, 'padata-value', OctetString),
  },
  { refine: refinePaData, summarize: (v) => PA_TYPES[v.padataType] ?? `padata-type ${v.padataType}` },
);
export type PaData = Infer<typeof PaData>;

export const MethodData = seqOf(PaData, 'METHOD-DATA', 'PA-DATA');
export const PaDataList = seqOf(PaData, 'SEQUENCE OF PA-DATA', 'PA-DATA');
fastLate.paDataList = PaDataList as Schema<unknown>;
