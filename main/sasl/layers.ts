/**
 * RFC 4752 §3.1 security layers: after the GSS context is up, the server sends a wrapped 4-byte
 * offer (bit mask of layers, 3-byte max buffer size), the client answers with a wrapped 4-byte
 * choice plus an optional authorization id.
 */
import type { TreeNode } from '../krb/tree';

export const SaslLayerBit = { none: 0x01, integrity: 0x02, privacy: 0x04 } as const;
export type SaslLayer = keyof typeof SaslLayerBit;

export interface SecurityLayerOffer {
  /** Bit mask of SaslLayerBit. */
  layers: number;
  /** Largest wrapped message the server accepts (0: no layer, so no limit needed). */
  maxBuffer: number;
}

export interface SecurityLayerChoice {
  layer: SaslLayer;
  maxBuffer: number;
  /** Authorization identity the client asks to act as ('' = the authenticated principal). */
  authzid: string;
}

/** What the servers we imitate offer: EMQX (none only, size 0) and Cyrus SASL (all, 2048). */
export const OFFERS: Record<'emqx' | 'cyrus', SecurityLayerOffer> = {
  emqx: { layers: SaslLayerBit.none, maxBuffer: 0 },
  cyrus: { layers: SaslLayerBit.none | SaslLayerBit.integrity | SaslLayerBit.privacy, maxBuffer: 2048 },
};

export class SaslProtocolError extends Error {
  override name = 'SaslProtocolError';
}

export function layerNames(bits: number): SaslLayer[] {
  return (Object.keys(SaslLayerBit) as SaslLayer[]).filter((name) => bits & SaslLayerBit[name]);
}

function fourBytes(bits: number, maxBuffer: number): Buffer {
  if (maxBuffer < 0 || maxBuffer > 0xffffff) throw new SaslProtocolError(`max buffer ${maxBuffer} does not fit in 3 bytes`);
  return Buffer.from([bits & 0xff, (maxBuffer >> 16) & 0xff, (maxBuffer >> 8) & 0xff, maxBuffer & 0xff]);
}

export function encodeOffer(offer: SecurityLayerOffer): Buffer {
  return fourBytes(offer.layers, offer.maxBuffer);
}

export function decodeOffer(bytes: Uint8Array): SecurityLayerOffer {
  if (bytes.length !== 4) throw new SaslProtocolError(`the security-layer offer must be 4 bytes, got ${bytes.length}`);
  return { layers: bytes[0]!, maxBuffer: (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]! };
}

export function encodeChoice(choice: SecurityLayerChoice): Buffer {
  return Buffer.concat([fourBytes(SaslLayerBit[choice.layer], choice.maxBuffer), Buffer.from(choice.authzid, 'utf8')]);
}

export function decodeChoice(bytes: Uint8Array, offer?: SecurityLayerOffer): SecurityLayerChoice {
  if (bytes.length < 4) throw new SaslProtocolError(`the security-layer reply must be at least 4 bytes, got ${bytes.length}`);
  const bits = bytes[0]!;
  const chosen = layerNames(bits);
  if (chosen.length !== 1) throw new SaslProtocolError(`the client must choose exactly one layer, its reply has bits 0x${bits.toString(16).padStart(2, '0')}`);
  const layer = chosen[0]!;
  if (offer && !(offer.layers & bits)) {
    throw new SaslProtocolError(`the client chose ${layer}, which was not offered (offered: ${layerNames(offer.layers).join(', ')})`);
  }
  return { layer, maxBuffer: (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!, authzid: Buffer.from(bytes.subarray(4)).toString('utf8') };
}

/** The client's pick: what it wants when offered; otherwise the strongest weaker layer offered. */
export function chooseLayer(offer: SecurityLayerOffer, desired: SaslLayer): SaslLayer {
  const order: SaslLayer[] = ['privacy', 'integrity', 'none'];
  const start = order.indexOf(desired);
  const pick = [...order.slice(start), ...order.slice(0, start).reverse()].find((layer) => offer.layers & SaslLayerBit[layer]);
  if (!pick) throw new SaslProtocolError('the server offered no security layer at all');
  return pick;
}

export function describeOffer(offer: SecurityLayerOffer): string {
  return `offers ${layerNames(offer.layers).join(' + ') || 'nothing'} (0x${offer.layers.toString(16).padStart(2, '0')}), max buffer ${offer.maxBuffer}`;
}

export function describeChoice(choice: SecurityLayerChoice): string {
  return `chooses ${choice.layer}, max buffer ${choice.maxBuffer}, authorization id ${choice.authzid ? `"${choice.authzid}"` : '(none: use the principal)'}`;
}

/** Field tree of an offer or a choice, offsets within the 4+ bytes (for the decoder views). */
export function layerTree(kind: 'offer' | 'choice', bytes: Uint8Array): TreeNode {
  const bits = bytes[0] ?? 0;
  const children: TreeNode[] = [
    { name: kind === 'offer' ? 'security layers offered' : 'security layer chosen', type: 'uint8 bit mask', offset: 0, length: 1, value: [`0x${bits.toString(16).padStart(2, '0')}`, ...layerNames(bits)] },
    { name: 'max buffer size', type: 'uint24', offset: 1, length: 3, value: ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0) },
  ];
  if (kind === 'choice') children.push({ name: 'authorization id', type: 'UTF-8', offset: 4, length: Math.max(0, bytes.length - 4), value: Buffer.from(bytes.subarray(4)).toString('utf8') });
  return { name: kind === 'offer' ? 'RFC 4752 security-layer offer' : 'RFC 4752 security-layer reply', type: 'SASL GSSAPI', offset: 0, length: bytes.length, children };
}
