/**
 * What an acceptor knows after a context is established, recovered from the tokens: decrypt the
 * AP-REQ's ticket with the service keytab (→ session key, client), its authenticator (→ initiator
 * subkey, sequence number, GSS flags), and the AP-REP (→ acceptor subkey, sequence number).
 * With these the bench does RFC 4121 per-message protection itself — the native binding offers
 * no wrap/unwrap on the acceptor side.
 */
import { getEnctype } from '../crypto';
import { decodeDer } from '../der/schema';
import { KrbCryptoError, KrbDecodeError } from '../errors';
import type { KeytabEntry } from '../keytab';
import { ApRep, ApReq, Authenticator, EncAPRepPart } from '../messages/ap';
import { EncTicketPart, type EncTicketPart as EncTicketPartValue } from '../messages/ticket';
import { enctypeName, formatName, formatPrincipal } from '../names';
import { KeyUsage } from '../usages';
import { decodeGssChecksum } from './checksum8003';
import { readKerberosToken } from './framing';

export interface ContextKey {
  enctype: number;
  key: Buffer;
}

export interface GssContextKeys {
  client: string;
  service: string;
  /** Which key opened the ticket (keytab entry) or the authenticator (ccache session key). */
  keytabEntry: string;
  sessionKey: ContextKey;
  initiatorSubkey?: ContextKey;
  acceptorSubkey?: ContextKey;
  /** Initial SND_SEQ of each side (RFC 4121 §4.2.6): from the authenticator and the AP-REP. */
  initiatorSequence: number;
  acceptorSequence: number;
  /** GSS context flags the initiator asked for (checksum 0x8003), by name. */
  flags: string[];
}

/** The key per-message tokens use (RFC 4121 §2): the acceptor's subkey, else the initiator's, else the session key. */
export function perMessageKey(keys: GssContextKeys): { key: ContextKey; acceptorSubkey: boolean } {
  if (keys.acceptorSubkey) return { key: keys.acceptorSubkey, acceptorSubkey: true };
  return { key: keys.initiatorSubkey ?? keys.sessionKey, acceptorSubkey: false };
}

function open(enctype: number, key: Uint8Array, usage: number, cipher: Uint8Array): Buffer | undefined {
  const et = getEnctype(enctype);
  if (!et) return undefined;
  try {
    return et.decrypt(key, usage, cipher);
  } catch (error) {
    if (error instanceof KrbCryptoError) return undefined;
    throw error;
  }
}

/**
 * Recovers the context keys. Throws KrbDecodeError for malformed tokens and a KrbCryptoError
 * when no keytab entry opens the ticket (naming what the ticket wanted).
 */
/**
 * The acceptor opens the ticket with its keytab; the initiator knows the session key already (it
 * sits in its ccache next to the ticket) — either is enough to recover the rest.
 */
export type ContextKeySource = { keytab: readonly KeytabEntry[] } | { sessionKeys: readonly (ContextKey & { source: string })[] };

export function contextKeysFrom(apReqToken: Uint8Array, apRepToken: Uint8Array | undefined, keySource: ContextKeySource): GssContextKeys {
  const request = readKerberosToken(apReqToken);
  const apReq = decodeDer(ApReq, request.inner, 'AP-REQ', { base: request.innerOffset, exact: false }).value;
  const { ticket } = apReq;
  const service = `${formatName(ticket.sname.nameString)}@${ticket.realm}`;

  let sessionKey: ContextKey | undefined;
  let client = '';
  let keytabEntry = '';
  if ('keytab' in keySource) {
    let encTicketPart: EncTicketPartValue | undefined;
    for (const entry of keySource.keytab.filter((e) => e.enctype === ticket.encPart.etype)) {
      const plain = open(entry.enctype, entry.key, KeyUsage.TICKET_ENC_PART, ticket.encPart.cipher);
      if (!plain) continue;
      encTicketPart = decodeDer(EncTicketPart, plain, 'EncTicketPart', { exact: false }).value;
      keytabEntry = `${formatPrincipal(entry.principal)} kvno ${entry.kvno} ${enctypeName(entry.enctype)}`;
      break;
    }
    if (!encTicketPart) {
      throw new KrbCryptoError('integrity', `no keytab entry decrypts the ticket for ${service} (${enctypeName(ticket.encPart.etype)}, kvno ${ticket.encPart.kvno ?? '?'})`);
    }
    sessionKey = { enctype: encTicketPart.key.keytype, key: encTicketPart.key.keyvalue };
  }
  // The initiator: whichever of its session keys opens the authenticator is the one.
  const candidates = sessionKey ? [{ ...sessionKey, source: keytabEntry }] : 'sessionKeys' in keySource ? keySource.sessionKeys : [];
  let authPlain: Buffer | undefined;
  for (const candidate of candidates.filter((c) => c.enctype === apReq.authenticator.etype)) {
    authPlain = open(candidate.enctype, candidate.key, KeyUsage.AP_REQ_AUTHENTICATOR, apReq.authenticator.cipher);
    if (authPlain) {
      sessionKey = { enctype: candidate.enctype, key: candidate.key };
      keytabEntry ||= candidate.source;
      break;
    }
  }
  if (!authPlain || !sessionKey) throw new KrbCryptoError('integrity', `the authenticator does not decrypt with ${'keytab' in keySource ? 'the ticket session key' : `any of the ${candidates.length} session key(s) given`}`);
  const authenticator = decodeDer(Authenticator, authPlain, 'Authenticator', { exact: false }).value;
  const flags = authenticator.cksum?.cksumtype === 0x8003 ? decodeGssChecksum(authenticator.cksum.checksum).value.flagNames : [];

  client = formatPrincipal({ components: authenticator.cname.nameString, realm: authenticator.crealm });
  const keys: GssContextKeys = {
    client,
    service,
    keytabEntry,
    sessionKey,
    initiatorSequence: authenticator.seqNumber ?? 0,
    acceptorSequence: 0,
    flags,
    ...(authenticator.subkey ? { initiatorSubkey: { enctype: authenticator.subkey.keytype, key: authenticator.subkey.keyvalue } } : {}),
  };
  if (!apRepToken || apRepToken.length === 0) return keys;

  const reply = readKerberosToken(apRepToken);
  const apRep = decodeDer(ApRep, reply.inner, 'AP-REP', { base: reply.innerOffset, exact: false }).value;
  const repPlain = open(sessionKey.enctype, sessionKey.key, KeyUsage.AP_REP_ENC_PART, apRep.encPart.cipher);
  if (!repPlain) throw new KrbDecodeError('AP-REP', 'enc-part', 0, 'does not decrypt with the ticket session key');
  const part = decodeDer(EncAPRepPart, repPlain, 'EncAPRepPart', { exact: false }).value;
  keys.acceptorSequence = part.seqNumber ?? 0;
  if (part.subkey) keys.acceptorSubkey = { enctype: part.subkey.keytype, key: part.subkey.keyvalue };
  return keys;
}
