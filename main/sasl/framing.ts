/**
 * Application messages after SASL GSSAPI (RFC 4752 §3.3, RFC 4422 §3.7): with a security layer,
 * each message travels as a 4-byte big-endian length and a GSS Wrap token; without one, as is.
 */
import { SaslProtocolError } from './layers';

export function frameMessage(token: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(token.length);
  return Buffer.concat([length, token]);
}

/** The token inside a framed message; refuses lengths that disagree with the bytes or exceed `maxBuffer`. */
export function unframeMessage(message: Uint8Array, maxBuffer = 0): Buffer {
  if (message.length < 4) throw new SaslProtocolError(`a protected message needs a 4-byte length, got ${message.length} byte(s)`);
  const length = Buffer.from(message.subarray(0, 4)).readUInt32BE(0);
  if (length !== message.length - 4) throw new SaslProtocolError(`the length prefix says ${length} bytes but ${message.length - 4} follow`);
  if (maxBuffer > 0 && length > maxBuffer) throw new SaslProtocolError(`the message is ${length} bytes, over the negotiated maximum of ${maxBuffer}`);
  return Buffer.from(message.subarray(4));
}
