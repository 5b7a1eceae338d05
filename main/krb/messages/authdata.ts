/**
 * AuthorizationData (RFC 4120 §5.2.6) and the containers inside it: AD-IF-RELEVANT holds more
 * AuthorizationData; AD-WIN2K-PAC holds a Microsoft PAC (pac.ts). Unknown types stay as bytes.
 */
import { decodeContained, field, namedInt, OctetString, seq, seqOf, type DecodeContext, type Schema } from '../der/schema';
import { KrbDecodeError } from '../errors';
import type { TreeNode } from '../tree';
import { sessionOf } from '../decode/keyring';
import { decodePac } from './pac';
import { verifyPacSignatures } from './pac-signatures';

export const AD_TYPES: Record<number, string> = {
  1: 'AD-IF-RELEVANT',
  2: 'AD-INTENDED-FOR-SERVER',
  3: 'AD-INTENDED-FOR-APPLICATION-CLASS',
  4: 'AD-KDC-ISSUED',
  5: 'AD-AND-OR',
  6: 'AD-MANDATORY-TICKET-EXTENSIONS',
  7: 'AD-IN-TICKET-EXTENSIONS',
  8: 'AD-MANDATORY-FOR-KDC',
  9: 'OSF-DCE',
  64: 'SESAME',
  65: 'AD-OSF-DCE-PKI-CERTID',
  96: 'AD-CAMMAC',
  97: 'AD-AUTHENTICATION-INDICATOR',
  128: 'AD-WIN2K-PAC',
  129: 'AD-ETYPE-NEGOTIATION',
  141: 'KERB-AUTH-DATA-TOKEN-RESTRICTIONS',
  142: 'KERB-LOCAL',
  143: 'AD-AUTH-DATA-AP-OPTIONS',
  144: 'KERB-AUTH-DATA-CLIENT-TARGET',
};

export const AdType = namedInt('Int32 (ad-type)', (v) => AD_TYPES[v]);

interface AdEntryValue {
  adType: number;
  adData: Buffer;
}

/** Decodes ad-data by ad-type and hangs the result under the ad-data node. */
function refineAdEntry(value: AdEntryValue, trees: Record<string, TreeNode | undefined>, ctx: DecodeContext): void {
  const dataTree = trees.adData;
  if (!dataTree) return;
  try {
    if (value.adType === 1) {
      const inner = decodeContained(AuthorizationData, ctx, dataTree, value.adData.length, `${ctx.structure} AD-IF-RELEVANT`);
      dataTree.children = [inner.tree];
    } else if (value.adType === 128) {
      const pacOffset = dataTree.offset + dataTree.length - value.adData.length;
      const pac = decodePac(value.adData, pacOffset);
      const session = sessionOf(ctx.extra);
      if (session) verifyPacSignatures(value.adData, pac.value, pac.tree, session.keyring);
      dataTree.children = [pac.tree];
    }
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    dataTree.error = error.message;
  }
}

const AuthorizationDataEntry = seq(
  'AuthorizationData entry',
  {
    adType: field(0, 'ad-type', AdType),
    adData: field(1, 'ad-data', OctetString),
  },
  { refine: refineAdEntry, summarize: (v) => AD_TYPES[v.adType] ?? `ad-type ${v.adType}` },
);

// Declared through a function so AD-IF-RELEVANT can refer to it recursively.
export const AuthorizationData: Schema<AdEntryValue[]> = seqOf(AuthorizationDataEntry, 'AuthorizationData', 'entry');

