/**
 * Checks every GSS worker call must pass before it may reach the native `kerberos` binding.
 * The binding trusts its input: `wrap('')` dereferences a NULL buffer (SIGSEGV), wrap reads 8
 * bytes of its input unchecked (see checkWrapData), invalid base64 silently becomes garbage
 * bytes, and strings are cut at the first NUL when they become C strings. The supervisor runs these
 * checks (so a refused call never costs a worker) and the worker runs them again (belt and braces).
 */
import { GssError } from './types';

/** Largest token either side accepts (decoded bytes). Real AP-REQs with a PAC are a few KiB. */
export const MAX_TOKEN_BYTES = 1024 * 1024;
/** Longest service or principal name accepted. */
const MAX_NAME_LENGTH = 1024;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export type GssMethod = 'createClient' | 'clientStep' | 'clientWrap' | 'clientUnwrap' | 'createServer' | 'serverStep' | 'serverAccept' | 'release';
/** Test-only calls, answered only by a worker started with KBENCH_GSS_WORKER_TEST_CRASH=1. */
export type GssDebugMethod = 'debugCrash' | 'debugHang';
export const GSS_METHODS: readonly GssMethod[] = ['createClient', 'clientStep', 'clientWrap', 'clientUnwrap', 'createServer', 'serverStep', 'serverAccept', 'release'];
export const DEBUG_METHODS: readonly GssDebugMethod[] = ['debugCrash', 'debugHang'];
/** The environment flag that unlocks the debug methods inside a worker. */
export const TEST_CRASH_FLAG = 'KBENCH_GSS_WORKER_TEST_CRASH';

export const CLIENT_OPTION_KEYS = ['principal', 'flags', 'mech', 'nameType'] as const;

export interface ClientOptions {
  principal?: string;
  flags?: number;
  mech?: 'krb5' | 'spnego';
  /**
   * How the target is imported: 'hostbased' ("service@host", GSS_C_NT_HOSTBASED_SERVICE, the
   * default) or 'principal' ("service/host@REALM" as written, GSS_KRB5_NT_PRINCIPAL_NAME, as
   * Hazelcast asks for its member SPN). Only the Java engine can do 'principal': the binding
   * imports every target as host-based.
   */
  nameType?: 'hostbased' | 'principal';
}

function refuse(message: string): never {
  throw new GssError(message, [], 'guard');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A base64 token as the binding reads it: canonical alphabet and padding, at most MAX_TOKEN_BYTES. */
export function checkBase64(value: unknown, what: string, options: { allowEmpty: boolean }): string {
  if (typeof value !== 'string') refuse(`${what} must be a base64 string, not ${typeof value}`);
  if (value === '') {
    if (!options.allowEmpty) refuse(`${what} is empty`);
    return value;
  }
  // Checked before the pattern so a huge input costs no regex time.
  if (value.length > Math.ceil(MAX_TOKEN_BYTES / 3) * 4) refuse(`${what} is larger than ${MAX_TOKEN_BYTES} bytes, the limit for one GSS token`);
  if (!BASE64.test(value)) {
    refuse(`${what} is not valid base64 (standard alphabet with "=" padding; the binding would decode it into garbage bytes)`);
  }
  if (decodedLength(value) > MAX_TOKEN_BYTES) refuse(`${what} is larger than ${MAX_TOKEN_BYTES} bytes, the limit for one GSS token`);
  return value;
}

function decodedLength(base64: string): number {
  return (base64.length / 4) * 3 - (base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0);
}

/** A service ("mqtt@host") or principal name: a C string for the binding, so no NUL or controls. */
export function checkName(value: unknown, what: string, options: { allowEmpty: boolean }): string {
  if (typeof value !== 'string') refuse(`${what} must be a string, not ${typeof value}`);
  if (value === '' && !options.allowEmpty) refuse(`${what} is empty: give a name like mqtt@localhost`);
  if (value.length > MAX_NAME_LENGTH) refuse(`${what} is longer than ${MAX_NAME_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(value)) refuse(`${what} contains a NUL or control character (the binding would cut or misread the name)`);
  return value;
}

/** initializeClient options: `flags`, never `gssFlag` (the package's .d.ts says gssFlag; its C++ reads flags). */
export function checkClientOptions(value: unknown): ClientOptions {
  if (value === undefined) return {};
  if (!isRecord(value)) refuse('createClient options must be an object');
  if ('gssFlag' in value) refuse('createClient takes "flags", not "gssFlag": the binding ignores gssFlag (its .d.ts is wrong), so those flags would silently not apply');
  const unknown = Object.keys(value).filter((key) => !(CLIENT_OPTION_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) refuse(`createClient does not take option(s) ${unknown.join(', ')} (only ${CLIENT_OPTION_KEYS.join(', ')})`);
  const options: ClientOptions = {};
  if (value.principal !== undefined) options.principal = checkName(value.principal, 'principal', { allowEmpty: false });
  if (value.flags !== undefined) {
    const flags = value.flags;
    if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0 || flags > 0xffffffff) refuse('flags must be an unsigned 32-bit integer of GSS_C_*_FLAG bits');
    options.flags = flags;
  }
  if (value.mech !== undefined) {
    if (value.mech !== 'krb5' && value.mech !== 'spnego') refuse('mech must be "krb5" or "spnego"');
    options.mech = value.mech;
  }
  if (value.nameType !== undefined) {
    if (value.nameType !== 'hostbased' && value.nameType !== 'principal') refuse('nameType must be "hostbased" or "principal"');
    options.nameType = value.nameType;
  }
  return options;
}

/** Wrap options: only `protect`; the authorization id travels in the data (see checkWrapData). */
export function checkWrapOptions(value: unknown): { protect: boolean } {
  if (!isRecord(value)) refuse('clientWrap needs options { protect: boolean }');
  if ('user' in value) {
    refuse('clientWrap takes no "user" option: put the authorization id in the data, after the 4-byte RFC 4752 header ([0x01, max size (3 bytes), authzid]); the worker hands it to the binding in a form that cannot over-read memory');
  }
  const unknown = Object.keys(value).filter((key) => key !== 'protect');
  if (unknown.length > 0) refuse(`clientWrap does not take option(s) ${unknown.join(', ')} (only protect)`);
  if (typeof value.protect !== 'boolean') refuse('clientWrap options.protect must be true (confidentiality) or false (integrity only)');
  return { protect: value.protect };
}

/** Longest authorization id the binding copies whole (a 4096-byte buffer: 4 header bytes, NUL). */
export const MAX_AUTHZID_BYTES = 4091;

/**
 * What clientWrap can wrap. The binding's wrap is not a general gss_wrap: whatever the options,
 * it takes the RFC 4752 path (its C++ passes `user` as a std::string's c_str(), never NULL):
 * it reads the first 8 bytes of the decoded input as a long (NULL dereference on '', heap
 * over-read below 8 bytes), keeps bytes 1–3 (max buffer size), forces byte 0 to 0x01 ("no
 * security layer") and appends `user` up to its first NUL. So only an RFC 4752 reply
 * [0x01, size(3), authzid] comes out faithfully; anything else would be silently rewritten.
 */
export function checkWrapData(value: unknown): string {
  if (value === '') {
    refuse('clientWrap refuses empty data: the kerberos binding crashes (SIGSEGV) on an empty input; wrap at least the 4-byte RFC 4752 reply');
  }
  const data = Buffer.from(checkBase64(value, 'clientWrap data', { allowEmpty: false }), 'base64');
  if (data.length < 4) refuse(`clientWrap data is ${data.length} byte(s): the binding reads 8 bytes unchecked (it would leak heap bytes into the token); give the 4-byte RFC 4752 reply at least`);
  if (data[0] !== 0x01) {
    refuse(`clientWrap data starts with 0x${data[0]!.toString(16).padStart(2, '0')}: the binding can only wrap an RFC 4752 reply choosing layer 0x01 (no security layer) — it overwrites the first byte with 0x01`);
  }
  const authzid = data.subarray(4);
  if (authzid.includes(0)) refuse('clientWrap data has a NUL byte after the 4-byte header: the binding stops the authorization id at the first NUL');
  if (authzid.length > MAX_AUTHZID_BYTES) refuse(`the authorization id is ${authzid.length} bytes: the binding copies at most ${MAX_AUTHZID_BYTES}`);
  if (!Buffer.from(authzid.toString('utf8'), 'utf8').equals(authzid)) refuse('the authorization id after the 4-byte header is not UTF-8: the binding takes it as a JavaScript string');
  return value as string;
}

/**
 * Checks every argument of a call except the handle (each side checks handles in its own format).
 * Returns the arguments as the worker passes them on.
 */
export function checkCallParams(method: GssMethod, params: readonly unknown[]): unknown[] {
  switch (method) {
    case 'createClient':
      return [checkName(params[0], 'service', { allowEmpty: false }), checkClientOptions(params[1])];
    case 'createServer':
      return [checkName(params[0], 'service', { allowEmpty: true })];
    case 'clientStep':
      return [params[0], checkBase64(params[1], 'the acceptor token (challenge)', { allowEmpty: true })];
    case 'clientWrap':
      return [params[0], checkWrapData(params[1]), checkWrapOptions(params[2])];
    case 'clientUnwrap':
      return [params[0], checkBase64(params[1], 'the token to unwrap', { allowEmpty: false })];
    case 'serverStep':
      return [params[0], checkBase64(params[1], "the initiator's token", { allowEmpty: false })];
    case 'serverAccept':
      return [checkName(params[0], 'service', { allowEmpty: true }), checkBase64(params[1], "the initiator's token", { allowEmpty: false })];
    case 'release':
      return [params[0]];
  }
}

/** Methods whose first parameter is a context handle. */
export function takesHandle(method: GssMethod): boolean {
  return method !== 'createClient' && method !== 'createServer' && method !== 'serverAccept';
}
