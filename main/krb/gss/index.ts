/**
 * GSS-API token codecs: RFC 2743 framing, RFC 4121 per-message tokens (and RFC 4757 for
 * RC4-HMAC, RFC 1964 headers for the rest), SPNEGO (RFC 4178 / MS-SPNG), NTLMSSP recognition
 * and the 0x8003 Authenticator checksum. Pure functions over bytes; no I/O.
 */
export {
  frameInitialContextToken,
  isInitialContextToken,
  isKerberosMech,
  KERBEROS_OIDS,
  parseInitialContextToken,
  readKerberosToken,
  SPNEGO_OID,
  TokId,
  TOK_IDS,
  tokIdName,
  type InitialContextToken,
  type KerberosContextToken,
} from './framing';
export {
  CFX_HEADER_LENGTH,
  CfxFlag,
  cfxFlagNames,
  CfxTokId,
  decodePerMessageToken,
  encodeMicHeader,
  encodeWrapHeader,
  mic,
  micKeyUsage,
  readCfxHeader,
  rotateLeft,
  rotateRight,
  unwrap,
  verifyMic,
  wrap,
  wrapKeyUsage,
  type CfxHeader,
  type DecodedPerMessageToken,
  type GssKey,
  type MicOptions,
  type MicResult,
  type PerMessageDecodeOptions,
  type UnwrapResult,
  type VerifyOptions,
  type WrapOptions,
} from './rfc4121';
export { micRc4, RC4_USAGE, unwrapRc4, verifyMicRc4, wrapRc4, type Rc4UnwrapResult, type Rc4TokenResult } from './rfc4757';
export { decodeRfc1964Token, RFC1964_SUMMARY, Rfc1964TokId, SEAL_ALG, SGN_ALG, type Rfc1964Token } from './rfc1964';
export type { TokenExpectations, TokenProblem } from './problems';
export {
  CONTEXT_FLAGS,
  decodeSpnego,
  encodeNegTokenInit,
  encodeNegTokenResp,
  innerTokenFormat,
  NEG_STATE_NAMES,
  NegState,
  WINDOWS_HINT_NAME,
  type DecodedSpnego,
  type InnerToken,
  type InnerTokenFormat,
  type NegHints,
  type NegTokenInit,
  type NegTokenInitOptions,
  type NegTokenResp,
  type NegTokenRespFields,
  type SpnegoToken,
} from './spnego';
export {
  decodeNtlmssp,
  isNtlmssp,
  NTLM_FLAGS,
  NtlmMessageType,
  NTLMSSP_SIGNATURE,
  type AvPair,
  type NtlmAuthenticate,
  type NtlmChallenge,
  type NtlmMessage,
  type NtlmNegotiate,
  type NtlmVersion,
} from './ntlm';
export {
  channelBindingsHash,
  decodeGssChecksum,
  encodeGssChecksum,
  GSS_CHECKSUM_TYPE,
  GSS_FLAG_NAMES,
  GssFlag,
  type GssChecksum,
  type GssChecksumExtension,
  type GssChecksumFields,
} from './checksum8003';
