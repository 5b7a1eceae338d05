/**
 * Real binary material for the binary-parser fuzz targets, made once per file: the world fixture's
 * tokens and KDC streams (MIT krb5 and a JVM, test/fixtures/world), their keytabs, ccache and the
 * keys that open them, and every plaintext those keys open — so a mutation can land inside an
 * encrypted part as well as around it.
 */
import { getEnctype } from '../../main/krb/crypto';
import { decodeAuto } from '../../main/krb/decode/auto';
import { parseTokenText } from '../../main/krb/decode/input';
import type { KeyEntry } from '../../main/krb/decode/keyring';
import { createDecodeSession, type KeySpec } from '../../main/krb/decode/session';
import type { DecodeSession } from '../../main/krb/decode/keyring';
import type { TreeNode } from '../../main/krb/tree';
import { legacyKeytab, world, worldKeytab, worldKeytabBytes } from '../helpers/world';

const hex = (text: string): Buffer => Buffer.from(text, 'hex');
const b64 = (text: string): Buffer => Buffer.from(text, 'base64');

/** The TCP record streams the world's KDCs and kpasswd server sent and received. */
export const worldStreams: readonly Buffer[] = [world.kdcStreamFast, world.kdcStreamPlain, world.kdcStreamS4u, world.kdcStreamLegacy, world.kpasswdStream, world.setPasswordStream].map(hex);

/** Each stream's records, record mark removed: single Kerberos and kpasswd messages. */
export const worldRecords: readonly Buffer[] = worldStreams.flatMap((stream) => (decodeAuto(stream).tree.children ?? []).map((r) => stream.subarray(r.offset + 4, r.offset + r.length)));

/** GSS-API tokens: curl's SPNEGO header, a JVM SPNEGO token, an MIT AP-REQ with delegation. */
export const worldTokens: readonly Buffer[] = [parseTokenText(world.curlAuthorization), b64(world.javaSpnego), b64(world.delegatedApReq)];

export const worldSafePriv: readonly Buffer[] = [hex(world.mitSafe.safe), hex(world.mitSafe.priv)];

export const worldKeytabs: readonly Buffer[] = [worldKeytabBytes, b64(world.legacyKeytab)];
export const worldCcaches: readonly Buffer[] = [b64(world.legacyCcache)];

/** alice's password keys (three passwords over the fixture's life), derived once: the session below is rebuilt per input. */
function passwordKeys(): KeyEntry[] {
  const keys: KeyEntry[] = [];
  for (const password of [world.alicePassword, world.aliceNewPassword, world.aliceSetPassword]) {
    const session = createDecodeSession([{ kind: 'password', principal: `alice@${world.realm}`, password }]);
    for (const enctype of [17, 18, 19, 20, 23, 25, 26]) keys.push(...session.keyring.candidates(enctype));
  }
  return keys;
}

/** Every key of the fixture, as a scan takes them. */
export const worldKeySpecs: readonly KeySpec[] = [
  { kind: 'keytab', label: 'world', entries: worldKeytab },
  { kind: 'keytab', label: 'legacy', entries: legacyKeytab },
  { kind: 'raw', enctype: 18, key: hex(world.mitSafe.key) },
  ...passwordKeys().map((k): KeySpec => ({ kind: 'raw', enctype: k.enctype, key: Buffer.from(k.key) })),
];

/** A fresh session with every key of the fixture: nothing learnt by one input leaks into the next. */
export function worldSession(): DecodeSession {
  return createDecodeSession(worldKeySpecs);
}

/** Every whole message and token: what decodeAuto is fed as is. */
export const worldMessages: readonly Buffer[] = [...worldStreams, ...worldRecords, ...worldTokens, ...worldSafePriv];

/** An encrypted part of a seed that a key of the fixture opens: where its ciphertext lies, and how to seal a new plaintext there. */
export interface OpenedPart {
  seed: Buffer;
  plaintext: Buffer;
  /** The ciphertext's place in the seed (its last `length` bytes of the cipher field). */
  offset: number;
  length: number;
  seal: (plaintext: Buffer) => Buffer;
  /** Session keys learnt from the messages before it (a TGS-REP needs the TGT's). */
  learnt: readonly KeyEntry[];
}

function decryptedNodes(node: TreeNode, out: TreeNode[]): TreeNode[] {
  if (node.decrypted && node.decrypted.kind !== 'decompressed') out.push(node);
  for (const child of node.children ?? []) decryptedNodes(child, out);
  return out;
}

/** Finds the key and usage that opened `node` by decrypting the ciphertext at the end of its cipher field again. */
function openedPart(seed: Buffer, node: TreeNode, session: DecodeSession): OpenedPart | undefined {
  const cipher = node.children?.find((c) => c.name === 'cipher');
  const etype = Number(/\((\d+)\)$/.exec(String(node.children?.find((c) => c.name === 'etype')?.value ?? ''))?.[1]);
  const usage = Number(/^\d+/.exec(node.decrypted!.keyUsage)?.[0]);
  const enctype = getEnctype(etype);
  if (!cipher || !enctype || !Number.isInteger(usage) || !node.decrypted?.plaintext) return undefined;
  const plaintext = hex(node.decrypted.plaintext);
  const end = cipher.offset + cipher.length;
  for (const key of session.keyring.candidates(etype)) {
    const length = enctype.encrypt(key.key, usage, plaintext).length;
    try {
      if (!enctype.decrypt(key.key, usage, seed.subarray(end - length, end)).equals(plaintext)) continue;
    } catch {
      continue;
    }
    return { seed, plaintext, offset: end - length, length, seal: (p) => enctype.encrypt(key.key, usage, p), learnt: [] };
  }
  return undefined;
}

/**
 * Every encrypted part of every seed that the fixture's keys open. Streams are decoded whole (so
 * learnt session keys open the TGS-REPs), then each part is handed on inside its own record with
 * the keys learnt before it: decoding one record is far cheaper than decoding the stream again.
 */
export function openedParts(): OpenedPart[] {
  const parts: OpenedPart[] = [];
  for (const seed of [...worldStreams, ...worldTokens, ...worldSafePriv]) {
    const session = worldSession();
    const { tree } = decodeAuto(seed, { session, revealSecrets: true });
    const learnt = session.keyring.all().filter((k) => k.origin === 'learned');
    for (const node of decryptedNodes(tree, [])) {
      const part = openedPart(seed, node, session);
      if (!part) continue;
      const record = worldStreams.includes(seed) ? tree.children?.find((r) => r.offset + 4 <= part.offset && part.offset + part.length <= r.offset + r.length) : undefined;
      const start = record ? record.offset + 4 : 0;
      const end = record ? record.offset + record.length : seed.length;
      parts.push({ ...part, seed: seed.subarray(start, end), offset: part.offset - start, learnt });
    }
  }
  return parts;
}

/** A session with the fixture's keys and the session keys learnt before a part. */
export function sessionWith(learnt: readonly KeyEntry[]): DecodeSession {
  return createDecodeSession([...worldKeySpecs, ...learnt.map((k): KeySpec => ({ kind: 'raw', enctype: k.enctype, key: Buffer.from(k.key) }))]);
}

function plaintextsIn(node: TreeNode, out: Buffer[]): Buffer[] {
  if (node.decrypted?.plaintext) {
    out.push(hex(node.decrypted.plaintext));
    plaintextsIn(node.decrypted.tree, out);
  }
  for (const child of node.children ?? []) plaintextsIn(child, out);
  return out;
}

/** Every plaintext the fixture's keys open, nested ones too (an authenticator's KRB-CRED, a PAC's claims), secrets revealed. */
export function worldPlaintexts(): Buffer[] {
  return [...worldStreams, ...worldTokens, ...worldSafePriv].flatMap((seed) => plaintextsIn(decodeAuto(seed, { session: worldSession(), revealSecrets: true }).tree, []));
}
