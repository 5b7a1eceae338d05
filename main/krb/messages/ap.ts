/** AP-REQ, Authenticator, AP-REP and EncAPRepPart (RFC 4120 §5.5), with the GSS checksum inside. */
import { app, decodeDer, field, KerberosTime, optional, seq, UInt32, type DecodeContext, type Infer, type Schema } from '../der/schema';
import { decryptField } from '../decode/decrypt';
import { learn, sessionOf, sessionRole, type KeyEntry, type KeyRole } from '../decode/keyring';
import { KrbDecodeError } from '../errors';
import { decodeGssChecksum } from '../gss/checksum8003';
import { enctypeName, formatName, formatPrincipal } from '../names';
import type { TreeNode } from '../tree';
import { KeyUsage } from '../usages';
import { AuthorizationData } from './authdata';
import { APOptions, Checksum, EncryptedData, EncryptionKey, Microseconds, MsgType, PrincipalName, Pvno, Realm } from './common';
import { KrbCred } from './cred';
import { fastLate, rememberArmorSource } from './fast';
import { Ticket } from './ticket';

/** GSS_C_* checksum (0x8003) inside the Authenticator: channel bindings, flags, delegated KRB-CRED. */
function refineAuthenticatorChecksum(cksum: Infer<typeof Checksum>, cksumTree: TreeNode | undefined, ctx: DecodeContext): void {
  if (!cksumTree || cksum.cksumtype !== 0x8003) return;
  const bytesTree = cksumTree.children?.find((c) => c.name === 'checksum');
  if (!bytesTree) return;
  const base = bytesTree.offset + bytesTree.length - cksum.checksum.length;
  try {
    const gss = decodeGssChecksum(cksum.checksum, base);
    bytesTree.children = [gss.tree];
    if (gss.delegation) {
      const cred = decodeDer(KrbCred, gss.delegation.bytes, 'KRB-CRED (delegated credentials)', {
        base: gss.delegation.offset,
        revealSecrets: ctx.revealSecrets,
        extra: ctx.extra,
        exact: false,
        depth: ctx.depth + 1,
      });
      const deleg = findByName(gss.tree, 'Deleg');
      if (deleg) deleg.children = [cred.tree];
    }
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    bytesTree.error = error.message;
  }
}

function findByName(node: TreeNode, name: string): TreeNode | undefined {
  if (node.name === name) return node;
  for (const child of node.children ?? []) {
    const found = findByName(child, name);
    if (found) return found;
  }
  return undefined;
}

/**
 * Authenticator (§5.5.1), whose subkey is learnt in `subkeyRole`: an AP-REQ's is a subkey, a
 * TGS-REQ's seals only its TGS-REP, and of an Authenticator decoded on its own nobody knows.
 */
function makeAuthenticator(subkeyRole?: KeyRole) {
  return app(
    2,
    'Authenticator',
    seq(
      'Authenticator',
      {
        authenticatorVno: field(0, 'authenticator-vno', Pvno),
        crealm: field(1, 'crealm', Realm),
        cname: field(2, 'cname', PrincipalName),
        cksum: optional(3, 'cksum', Checksum),
        cusec: field(4, 'cusec', Microseconds),
        ctime: field(5, 'ctime', KerberosTime),
        subkey: optional(6, 'subkey', EncryptionKey),
        seqNumber: optional(7, 'seq-number', UInt32),
        authorizationData: optional(8, 'authorization-data', AuthorizationData),
      },
      {
        summarize: (v) => `client ${formatPrincipal({ components: v.cname.nameString, realm: v.crealm })}, ctime ${v.ctime.toISOString()}`,
        refine(value, trees, ctx) {
          if (value.cksum) refineAuthenticatorChecksum(value.cksum, trees.cksum, ctx);
          if (value.subkey) {
            const client = formatPrincipal({ components: value.cname.nameString, realm: value.crealm });
            learn(ctx.extra, { enctype: value.subkey.keytype, key: value.subkey.keyvalue, source: `initiator subkey from the Authenticator of ${client}`, ...(subkeyRole ? { role: subkeyRole } : {}) });
          }
        },
      },
    ),
  );
}

export const Authenticator = makeAuthenticator();
export type Authenticator = Infer<typeof Authenticator>;

/**
 * AP-REQ. The authenticator's key usage depends on where the AP-REQ travels: 11 in an
 * application exchange, 7 inside a TGS-REQ's PA-TGS-REQ.
 */
export function makeApReq(authenticatorUsage: number, typeName = 'AP-REQ'): Schema<ApReqValue> {
  const authenticatorSchema = makeAuthenticator(authenticatorUsage === KeyUsage.TGS_REQ_PA_AUTHENTICATOR ? 'tgs-subkey' : 'subkey');
  return app(
    14,
    typeName,
    seq(
      typeName,
      {
        pvno: field(0, 'pvno', Pvno),
        msgType: field(1, 'msg-type', MsgType),
        apOptions: field(2, 'ap-options', APOptions),
        ticket: field(3, 'ticket', Ticket),
        authenticator: field(4, 'authenticator', EncryptedData),
      },
      {
        summarize: (v) => `ticket for ${formatName(v.ticket.sname.nameString)}@${v.ticket.realm} (${enctypeName(v.ticket.encPart.etype)}, kvno ${v.ticket.encPart.kvno ?? '?'})`,
        // The ticket's refine (run while decoding field 3) has learned the session key by now.
        refine(value, trees, ctx) {
          const onPart = (authenticator: Authenticator, sessionKey: KeyEntry) => {
            // Any AP-REQ with a subkey may armor a FAST request (TGS-REQs by MIT clients do).
            if (authenticator.subkey) rememberArmorSource(ctx, authenticator.subkey, sessionKey);
          };
          // The ticket's session key, from the ticket opened or the KDC reply that issued it.
          const ticketKey = sessionOf(ctx.extra)?.keyring.ticketKey(value.ticket.encPart.cipher);
          // Sealed with that ticket's session key: a TGT's in a TGS-REQ, another ticket's elsewhere.
          decryptField(ctx, trees.authenticator, value.authenticator, authenticatorUsage, authenticatorSchema, 'Authenticator', onPart, undefined, [ticketKey], sessionRole(value.ticket.sname.nameString));
        },
      },
    ),
  );
}

export interface ApReqValue {
  pvno: number;
  msgType: number;
  apOptions: Infer<typeof APOptions>;
  ticket: Infer<typeof Ticket>;
  authenticator: Infer<typeof EncryptedData>;
}

export const ApReq = makeApReq(KeyUsage.AP_REQ_AUTHENTICATOR);
export const TgsApReq = makeApReq(KeyUsage.TGS_REQ_PA_AUTHENTICATOR, 'AP-REQ (PA-TGS-REQ)');
// RFC 6113 §5.4.1.1: the armor AP-REQ's authenticator uses the AP-REQ key usage (11).
fastLate.armorApReq = makeApReq(KeyUsage.AP_REQ_AUTHENTICATOR, 'AP-REQ (FAST armor)') as Schema<unknown>;

export const EncAPRepPart = app(
  27,
  'EncAPRepPart',
  seq(
    'EncAPRepPart',
    {
      ctime: field(0, 'ctime', KerberosTime),
      cusec: field(1, 'cusec', Microseconds),
      subkey: optional(2, 'subkey', EncryptionKey),
      seqNumber: optional(3, 'seq-number', UInt32),
    },
    {
      refine(value, _trees, ctx) {
        if (value.subkey) learn(ctx.extra, { enctype: value.subkey.keytype, key: value.subkey.keyvalue, source: 'acceptor subkey from the AP-REP', role: 'subkey' });
      },
    },
  ),
);

export const ApRep = app(
  15,
  'AP-REP',
  seq(
    'AP-REP',
    {
      pvno: field(0, 'pvno', Pvno),
      msgType: field(1, 'msg-type', MsgType),
      encPart: field(2, 'enc-part', EncryptedData),
    },
    {
      summarize: (v) => `${enctypeName(v.encPart.etype)}, ${v.encPart.cipher.length} bytes`,
      refine(value, trees, ctx) {
        decryptField(ctx, trees.encPart, value.encPart, KeyUsage.AP_REP_ENC_PART, EncAPRepPart, 'EncAPRepPart');
      },
    },
  ),
);
export type ApRep = Infer<typeof ApRep>;
