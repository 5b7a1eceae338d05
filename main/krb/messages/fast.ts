/**
 * FAST (RFC 6113): the armored tunnel MIT clients use for TGS requests (and AS requests when
 * armored). The armor key is KRB-FX-CF2(authenticator subkey, ticket session key, "subkeyarmor",
 * "ticketarmor"), learned when the AP-REQ is decoded (ap.ts); with it the encrypted KrbFastReq
 * and KrbFastResponse open, and a strengthen-key turns into the reply key of the KDC-REP.
 */
import { getEnctype, krbFxCf2 } from '../crypto';
import {
  decodeContained,
  explicitChoice,
  field,
  Int32,
  KerberosFlags,
  KerberosTime,
  OctetString,
  optional,
  seq,
  UInt32,
  type DecodeContext,
  type Infer,
  type Schema,
} from '../der/schema';
import { KrbCryptoError, KrbDecodeError } from '../errors';
import { decryptField } from '../decode/decrypt';
import { learn, sessionOf } from '../decode/keyring';
import { enctypeName } from '../names';
import { KeyUsage } from '../usages';
import { Checksum, EncryptedData, EncryptionKey, Microseconds, PrincipalName, Realm } from './common';


/**
 * Set by padata.ts, which owns PA-DATA, kdc.ts (KDC-REQ-BODY) and ap.ts (the AP-REQ of an armor):
 * bound late to avoid an import cycle.
 */
export const fastLate: { paDataList?: Schema<unknown>; kdcReqBody?: Schema<unknown>; armorApReq?: Schema<unknown> } = {};

const lateSchema = (typeName: string, get: () => Schema<unknown> | undefined): Schema<unknown> => ({
  typeName,
  decode: (node, ctx, name) => get()!.decode(node, ctx, name),
  encode: (value) => get()!.encode(value),
});

const FastOptions = KerberosFlags('FastOptions', ['reserved', 'hide-client-names', '', '', '', '', '', '', '', '', '', '', '', '', '', '', 'kdc-follow-referrals']);

/** RFC 6113 §5.4.1.1: the one armor type defined, an AP-REQ for a ticket (usually the client's TGT). */
export const FX_FAST_ARMOR_AP_REQUEST = 1;

/**
 * The armor of an explicitly armored request (AS-REQs with `kinit -T`; TGS-REQs carry their armor in
 * PA-TGS-REQ instead). Its AP-REQ is decoded in place — ticket and authenticator opened with the keys
 * given — so the armor key can be derived from its subkey and ticket session key.
 */
export const KrbFastArmor = seq(
  'KrbFastArmor',
  {
    armorType: field(0, 'armor-type', Int32),
    armorValue: field(1, 'armor-value', OctetString),
  },
  {
    summarize: (v) => (v.armorType === FX_FAST_ARMOR_AP_REQUEST ? 'FX_FAST_ARMOR_AP_REQUEST' : `armor type ${v.armorType}`),
    refine(value, trees, ctx) {
      const tree = trees.armorValue;
      if (value.armorType !== FX_FAST_ARMOR_AP_REQUEST || !tree || !fastLate.armorApReq) return;
      try {
        tree.children = [decodeContained(fastLate.armorApReq, ctx, tree, value.armorValue.length, 'AP-REQ (FAST armor)').tree];
      } catch (error) {
        if (!(error instanceof KrbDecodeError)) throw error;
        tree.error = error.message;
      }
    },
  },
);

const KrbFastReq = seq('KrbFastReq', {
  fastOptions: field(0, 'fast-options', FastOptions),
  padata: field(1, 'padata', lateSchema('SEQUENCE OF PA-DATA', () => fastLate.paDataList)),
  reqBody: field(2, 'req-body', lateSchema('KDC-REQ-BODY', () => fastLate.kdcReqBody)),
});

const KrbFastFinished = seq('KrbFastFinished', {
  timestamp: field(0, 'timestamp', KerberosTime),
  usec: field(1, 'usec', Microseconds),
  crealm: field(2, 'crealm', Realm),
  cname: field(3, 'cname', PrincipalName),
  ticketChecksum: field(4, 'ticket-checksum', Checksum),
});

type LearnedKeys = ReturnType<NonNullable<ReturnType<typeof sessionOf>>['keyring']['all']>;

/** A strengthen-key changes the reply key: reply key' = KRB-FX-CF2(strengthen-key, reply key, …). */
function learnStrengthenedKeys(ctx: DecodeContext, strengthen: Infer<typeof EncryptionKey>): void {
  const session = sessionOf(ctx.extra);
  if (!session) return;
  // The reply key is the TGT session key or the request subkey (TGS), or the client's long-term
  // key (AS); in practice it has the strengthen-key's enctype.
  const candidates: LearnedKeys = session.keyring.candidates(strengthen.keytype).filter((k) => !k.source.startsWith('FAST'));
  for (const replyKey of [...candidates]) {
    try {
      learn(ctx.extra, {
        enctype: strengthen.keytype,
        key: krbFxCf2(strengthen.keytype, strengthen.keyvalue, replyKey.enctype, replyKey.key, 'strengthenkey', 'replykey'),
        source: `FAST strengthened reply key (${enctypeName(strengthen.keytype)} strengthen-key + ${replyKey.source})`,
        role: 'fast-reply',
      });
    } catch {
      // an enctype without a PRF: this pair cannot be the reply key
    }
  }
}

const KrbFastResponse = seq(
  'KrbFastResponse',
  {
    padata: field(0, 'padata', lateSchema('SEQUENCE OF PA-DATA', () => fastLate.paDataList)),
    strengthenKey: optional(1, 'strengthen-key', EncryptionKey),
    finished: optional(2, 'finished', KrbFastFinished),
    nonce: field(3, 'nonce', UInt32),
  },
  {
    refine(value, _trees, ctx) {
      if (value.strengthenKey) learnStrengthenedKeys(ctx, value.strengthenKey);
    },
  },
);

const KrbFastArmoredReq = seq(
  'KrbFastArmoredReq',
  {
    armor: optional(0, 'armor', KrbFastArmor),
    reqChecksum: field(1, 'req-checksum', Checksum),
    encFastReq: field(2, 'enc-fast-req', EncryptedData),
  },
  {
    refine(value, trees, ctx) {
      learnArmorKeys(ctx);
      decryptField(ctx, trees.encFastReq, value.encFastReq, KeyUsage.FAST_ENC, KrbFastReq, 'KrbFastReq');
    },
  },
);

const KrbFastArmoredRep = seq(
  'KrbFastArmoredRep',
  { encFastRep: field(0, 'enc-fast-rep', EncryptedData) },
  {
    refine(value, trees, ctx) {
      learnArmorKeys(ctx);
      decryptField(ctx, trees.encFastRep, value.encFastRep, KeyUsage.FAST_REP, KrbFastResponse, 'KrbFastResponse');
    },
  },
);

export const PaFxFastRequest = explicitChoice('PA-FX-FAST-REQUEST', 'context', { 'armored-data': { tag: 0, schema: KrbFastArmoredReq } });
export const PaFxFastReply = explicitChoice('PA-FX-FAST-REPLY', 'context', { 'armored-data': { tag: 0, schema: KrbFastArmoredRep } });

/** AP-REQs whose keys may armor a FAST request later in the same decode session. */
const armorSources = new WeakMap<object, { subkey: Infer<typeof EncryptionKey>; sessionKey: { enctype: number; key: Buffer } }[]>();

/**
 * Remembers an AP-REQ's subkey and ticket session key: if a FAST request follows, its armor key
 * is KRB-FX-CF2(subkey, session key, "subkeyarmor", "ticketarmor"). Computed only then — most
 * AP-REQs never armor anything, and the PRF costs several AES operations.
 */
export function rememberArmorSource(ctx: DecodeContext, subkey: Infer<typeof EncryptionKey>, sessionKey: { enctype: number; key: Buffer }): void {
  const session = sessionOf(ctx.extra);
  if (!session) return;
  const list = armorSources.get(session) ?? [];
  list.push({ subkey, sessionKey });
  armorSources.set(session, list);
}

function learnArmorKeys(ctx: DecodeContext): void {
  const session = sessionOf(ctx.extra);
  if (!session) return;
  for (const { subkey, sessionKey } of armorSources.get(session) ?? []) {
    try {
      learn(ctx.extra, {
        enctype: subkey.keytype,
        key: krbFxCf2(subkey.keytype, subkey.keyvalue, sessionKey.enctype, sessionKey.key, 'subkeyarmor', 'ticketarmor'),
        source: 'FAST armor key (KRB-FX-CF2 of the AP-REQ subkey and ticket session key)',
        role: 'fast',
      });
    } catch {
      // no PRF for this enctype: no FAST with it either
    }
  }
  armorSources.delete(session);
}

/** Where a challenge key may come from: long-term keys the user gave (a keytab, a password, a raw key). */
const LONG_TERM_ORIGINS = new Set(['keytab', 'password', 'raw']);

const CHALLENGE_SIDES = [
  { side: 'client', pepper: 'clientchallengearmor', usage: KeyUsage.ENC_CHALLENGE_CLIENT },
  { side: 'KDC', pepper: 'kdcchallengearmor', usage: KeyUsage.ENC_CHALLENGE_KDC },
] as const;

/**
 * RFC 6113 §5.4.6 encrypted challenge: a PA-ENC-TS-ENC under KRB-FX-CF2(armor key, the client's
 * long-term key, "clientchallengearmor" | "kdcchallengearmor", "challengelongterm"), key usage 54
 * from the client and 55 from the KDC. Each armor key × long-term key pair of the enctype is tried;
 * the one that decrypts is learned (it names the client's key) and its usage returned.
 */
export function learnChallengeKey(ctx: DecodeContext, enc: { etype: number; cipher: Buffer }): number | undefined {
  const session = sessionOf(ctx.extra);
  const enctype = getEnctype(enc.etype);
  if (!session || !enctype) return undefined;
  const keys = session.keyring.candidates(enc.etype);
  const armorKeys = keys.filter((k) => k.source.startsWith('FAST armor key'));
  const longTerm = keys.filter((k) => LONG_TERM_ORIGINS.has(k.origin));
  for (const armor of armorKeys) {
    for (const client of longTerm) {
      for (const { side, pepper, usage } of CHALLENGE_SIDES) {
        let key: Buffer;
        try {
          key = krbFxCf2(enc.etype, armor.key, enc.etype, client.key, pepper, 'challengelongterm');
          // A wrong pairing is the usual answer: tryDecrypt's null, no Error made (issue 18).
          if (!enctype.tryDecrypt(key, usage, enc.cipher)) continue;
        } catch (error) {
          if (error instanceof KrbCryptoError) continue;
          throw error;
        }
        learn(ctx.extra, { enctype: enc.etype, key, source: `FAST encrypted-challenge key (${side}: armor key + ${client.source})`, role: 'fast' });
        return usage;
      }
    }
  }
  return undefined;
}
