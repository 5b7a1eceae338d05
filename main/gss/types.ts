/**
 * GSS-API through the native `kerberos` binding, one worker process per Kerberos profile (MIT reads
 * KRB5_CONFIG, KRB5CCNAME, KRB5_KTNAME … from the process environment, so profiles cannot share a
 * process; and a native crash must kill a worker, not the bench).
 */

/** Where a worker's Kerberos settings come from. */
export interface KerberosProfile {
  /** Stable id: "lab", "system", or a custom name. */
  id: string;
  /** Shown to the user: "Lab realm BENCH.TEST", "System defaults". */
  name: string;
  kind: 'lab' | 'system' | 'custom';
  /** KRB5_CONFIG (a path, or a colon-separated list). Absent: the system default. */
  krb5Config?: string;
  /** KRB5CCNAME, e.g. "FILE:/path/alice.ccache". */
  ccache?: string;
  /** KRB5_KTNAME: the acceptor's (service) keytab. */
  keytab?: string;
  /** KRB5_CLIENT_KTNAME: a client keytab the initiator may use to get tickets. */
  clientKeytab?: string;
  /** KRB5RCACHEDIR: where the acceptor's replay cache lives. */
  rcacheDir?: string;
  /**
   * Which GSS implementation runs this profile's contexts: MIT through the native binding
   * (default), or the JVM's own Kerberos stack (JAAS Krb5LoginModule + Java GSS) in a Java worker.
   * The two never share a process.
   */
  runtime?: 'mit' | 'java';
  /** runtime 'java': the user's own JAAS login configuration file instead of a generated one. */
  jaasConfig?: string;
  /**
   * runtime 'mit', lab and custom profiles: also load the machine's extra GSS mechanisms
   * (gss-ntlmssp), as the system profile always does. Also on when NTLM_USER_FILE is set.
   */
  ntlm?: boolean;
}

/** Every worker call returns what it produced and the KRB5_TRACE lines MIT logged meanwhile. */
export interface GssCallResult<T> {
  value: T;
  trace: string[];
}

export interface GssClientStep {
  /** The token to send (base64), '' when GSS produced none. */
  response: string;
  /** GSS_S_COMPLETE: the context is established. */
  complete: boolean;
  /** The initiator's own principal (the binding asks MIT for it once the context is complete). */
  principal: string | null;
}

export interface GssServerStep {
  response: string;
  /** GSS_S_COMPLETE: the context is established, and the worker has released it (its handle is spent). */
  complete: boolean;
  /** The authenticated client principal, once complete. */
  username: string | null;
  /** The acceptor name the client asked for (filled when the server accepts any keytab key). */
  targetName: string | null;
}

/** A GSS context handle inside one worker; invalid once that worker is gone. */
export type GssHandle = string;

/** The calls a GSS worker answers. Base64 in and out, as the binding speaks it. */
export interface GssWorkerApi {
  /** gss_import_name + state for an initiator; no KDC traffic until the first step. */
  /** options.nameType 'principal' (Java engine only): `service` is a Kerberos principal name, "hz/10.0.0.5@REALM", used as written. */
  createClient(service: string, options?: { principal?: string; flags?: number; mech?: 'krb5' | 'spnego'; nameType?: 'hostbased' | 'principal' }): Promise<GssCallResult<{ handle: GssHandle }>>;
  clientStep(handle: GssHandle, challenge: string): Promise<GssCallResult<GssClientStep>>;
  /**
   * gss_wrap of the initiator's RFC 4752 reply: data = [0x01 (no security layer), max buffer size
   * (3 bytes), authorization id (UTF-8, no NUL, ≤ 4091 bytes)]. The binding can wrap nothing else
   * (it always rewrites byte 0 to 0x01 and reads the rest as a C string), so other data is refused
   * ('guard') rather than silently changed.
   */
  clientWrap(handle: GssHandle, data: string, options: { protect: boolean }): Promise<GssCallResult<{ token: string }>>;
  clientUnwrap(handle: GssHandle, token: string): Promise<GssCallResult<{ data: string }>>;
  /** An acceptor for `service` ("mqtt@localhost"), or any key in the keytab when ''. */
  createServer(service: string): Promise<GssCallResult<{ handle: GssHandle }>>;
  serverStep(handle: GssHandle, token: string): Promise<GssCallResult<GssServerStep>>;
  /**
   * createServer and its first serverStep in one call (one round trip to the worker, which is
   * what an acceptor does for every AP-REQ). The handle comes back only when the context needs
   * another token; a complete or failed context is gone already.
   */
  serverAccept(service: string, token: string): Promise<GssCallResult<GssServerStep & { handle?: GssHandle }>>;
  release(handle: GssHandle): Promise<void>;
}

/** A GSS failure: MIT's own text, and the trace that shows how it got there. */
export class GssError extends Error {
  constructor(
    message: string,
    readonly trace: string[] = [],
    /** 'gss': the library said no; 'crash': the worker died; 'timeout'; 'guard': refused before reaching native code. */
    readonly kind: 'gss' | 'crash' | 'timeout' | 'guard' = 'gss',
  ) {
    super(message);
    this.name = 'GssError';
  }
}
