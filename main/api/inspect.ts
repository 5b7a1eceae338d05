/**
 * Reports of the inspection services (ccache, keytab, decoder) — the JSON contracts of
 * `kbench ccache show`, `kbench keytab show`, `kbench decode`, shared with the UI.
 */
import type { KeyMatchExplanation, KeyMatchVerdict, KeytabEntrySummary } from '../krb/reports';
import type { TreeNode } from '../krb/tree';

export type { TreeNode, DecryptedPart, SealedKey, SealedPart } from '../krb/tree';
export type { KeyMatchExplanation, KeyMatchVerdict, KeytabEntrySummary } from '../krb/reports';

export interface CcacheReportCredential {
  client: string;
  server: string;
  sessionKeyEnctype: string;
  sessionKeyEnctypeId: number;
  ticketEnctype: string | null;
  ticketEnctypeId: number | null;
  ticketKvno: number | null;
  authtime: string | null;
  /** Absent when the ticket carries no starttime (klist then shows authtime in its place; so does the text output, marked). */
  starttime?: string;
  endtime: string | null;
  renewTill: string | null;
  flags: string[];
  /** Why the ticket itself could not be decoded (enctype and kvno then null). */
  ticketError?: string;
  /** The Ticket's DER bytes, base64: what the Decoder opens (its enc-part needs the service's key). */
  ticket: string;
}

export interface CcacheReport {
  /** A FILE ccache, or a KRB-CRED (.kirbi) read as the cache of its tickets. */
  format: 'FILE' | 'KRB-CRED';
  /** The FILE ccache format version (1–4); 0 for a KRB-CRED. */
  version: number;
  defaultPrincipal: string;
  credentials: CcacheReportCredential[];
  /** Configuration entries (krb5_ccache_conf_data), never mixed with credentials. */
  config: { key: string; principal?: string; value: string }[];
  kdcTimeOffset?: { seconds: number; microseconds: number };
}

/** What `kbench decode` produces. */
export interface DecodeReport {
  /** What the input was recognised as: "AP-REQ", "GSS-API initial context token", "keytab" … */
  kind: string;
  /** Input size in bytes. */
  length: number;
  tree: TreeNode;
  /** Keys the session learned while decoding (session keys, subkeys), by source. */
  learnedKeys: string[];
  /** The same keys with their bytes — only when secrets are revealed. */
  learnedKeyValues?: { source: string; enctype: string; key: string }[];
}

/** One message of a decode session: its report and its bytes (base64, for the hex view). */
export type DecodedMessage = DecodeReport & { base64: string };


/** A file the engine reads: a path on the engine's machine, or bytes the user picked in the UI. */
export type FileSource = { path: string } | { base64: string; name: string };

/**
 * A keytab entry as the Keytab view and `kbench keytab show` show it (key only when revealed).
 * `superseded` marks a key older than the newest kvno the keytab holds for the same principal:
 * kept (ktadd -keepold, a rotation) so tickets issued before the key change still decrypt.
 */
export interface KeytabEntryView extends KeytabEntrySummary {
  superseded?: { newestKvno: number; note: string };
}

export interface KeytabDocument {
  name: string;
  version: number;
  entries: KeytabEntryView[];
  /** A damaged keytab: the entries are those that could be read; this says where and how the damage starts. */
  damage?: { offset: number; message: string };
  /** The keytab bytes (for saving or downloading what the UI shows). */
  base64: string;
  tree: TreeNode;
}

/** How a password-derived key is salted: MIT's default (REALM + name components), AD's for a user or service account, AD's for a computer. */
export type KeytabSaltType = 'mit' | 'ad-user' | 'ad-computer';

/**
 * An AD salt, as ktpass makes it: `account` is the sAMAccountName the principal belongs to
 * ("svc-mqtt" for mqtt/broker.ad.test; a user whose UPN name differs: the UPN) or, for
 * ad-computer, the computer's name ("ws1" or "ws1$").
 */
export interface KeytabSaltChoice {
  saltType: KeytabSaltType;
  account?: string;
}

export interface NewKeytabEntries {
  principal: string;
  kvno: number;
  /**
   * Enctype names, e.g. ["aes256-cts-hmac-sha1-96"]. Absent: aes256 + aes128, and with an AD salt
   * aes256 + aes128 + arcfour-hmac (what ktpass writes with -crypto ALL).
   */
  enctypes?: string[];
  /** Derive the keys from this password (with `salt`, else the salt `saltType` names, else REALM+name); absent → random keys. */
  password?: string;
  salt?: string;
  /** ad-user and ad-computer need `account`. */
  saltType?: KeytabSaltType;
  account?: string;
}

export interface KeytabSaveOptions {
  /** Replace an existing file even though it is not a keytab (the user confirmed it). */
  replace?: boolean;
}

/** `details` of the failure when a save would replace something that is not a keytab. */
export interface NotAKeytabDetails {
  reason: 'not-a-keytab';
  path: string;
}

/** The salt a key was found to be made with (only named when the password with that salt derives the key). */
export interface KeytabSaltFound {
  used: string;
  kind: KeytabSaltType | 'given';
  /** The AD account the salt names. */
  account?: string;
}

export interface KeytabCheckEntry {
  principal: string;
  kvno: number;
  enctype: string;
  enctypeId: number;
  match: boolean;
  /** A salted enctype that matched: the salt its key was made with. */
  salt?: KeytabSaltFound;
  note?: string;
}

export interface KeytabCheckReport {
  entries: KeytabCheckEntry[];
}

/** What explainKey may be told besides the keytab: the service's password, to name the salts. */
export interface ExplainKeyOptions {
  password?: string;
  /** The AD account (sAMAccountName) the service principal belongs to: its salt is tried too. */
  account?: string;
}

/**
 * Which entries to remove, as `kbench keytab remove` names them: every entry of the principal
 * (without a realm: in any realm), narrowed by kvno and enctype.
 */
export interface KeytabEntrySelector {
  principal: string;
  kvno?: number;
  /** An enctype name ("aes256-cts-hmac-sha1-96", "arcfour-hmac"). */
  enctype?: string;
}

export interface KeytabService {
  read(source: FileSource, revealKeys: boolean): Promise<KeytabDocument>;
  /** Adds entries to the keytab (null: a new, empty keytab) and returns the result; nothing is written. */
  add(source: FileSource | null, entries: NewKeytabEntries, revealKeys: boolean): Promise<KeytabDocument & { replaced: number }>;
  /**
   * Removes the entries at these indexes, or those a selector names (then the rest is version
   * 0x0502, and a selector that matches nothing fails); nothing is written.
   */
  remove(source: FileSource, which: number[] | KeytabEntrySelector, revealKeys: boolean): Promise<KeytabDocument & { removed: KeytabEntrySummary[] }>;
  /** Merges keytabs in order (a later entry replaces an earlier one in the same slot); `replaced` counts those. Nothing is written. */
  merge(sources: FileSource[], revealKeys: boolean): Promise<KeytabDocument & { replaced: number }>;
  /**
   * Derives each entry's key from the password and compares. `salt`: a salt string, or a salt
   * choice. Without a salt string the bench tries MIT's default and the AD salts (of the account
   * given, of a user's name, of host/NAME's computer) and names the one a matching key was made with.
   */
  check(source: FileSource, password: string, salt?: string | KeytabSaltChoice): Promise<KeytabCheckReport>;
  /**
   * Writes keytab bytes to a path on the engine's machine (temp file + rename, mode 0600). An
   * existing file that is not a keytab is replaced only with `replace` (the failure's details say
   * `reason: 'not-a-keytab'`, so a UI can ask); a symbolic link is followed only within its folder.
   */
  save(path: string, base64: string, options?: KeytabSaveOptions): Promise<{ path: string; bytes: number }>;
}

export interface CcacheDocument extends CcacheReport {
  name: string;
  base64: string;
  tree: TreeNode;
}

export interface CcacheService {
  read(source: FileSource): Promise<CcacheDocument>;
}

export type KeySource =
  | { kind: 'keytab'; source: FileSource }
  /** A credential cache's session keys: what a client holds (opens its authenticators, AP-REPs and GSS tokens, not tickets). */
  | { kind: 'ccache'; source: FileSource }
  /** Without `principal`, the client the messages name (cname/crealm) is taken. */
  | { kind: 'password'; principal?: string; password: string; salt?: string }
  /** "ETYPE:HEX", e.g. "aes256-cts-hmac-sha1-96:0011…". */
  | { kind: 'raw'; key: string };

export interface DecodeOptions {
  /** The message a MIC token protects, base64 (a MIC does not carry it): with it, the MIC is verified. */
  micMessage?: string;
}

/** What to decode: pasted text (hex, base64, "Negotiate …") or a file. */
export type DecodeInput = { text: string } | { file: FileSource };

export type KeyMatchVerdictView = KeyMatchVerdict;
export type KeyMatchReport = KeyMatchExplanation;

export interface DecoderService {
  /** Decodes and decrypts; `base64` returns the input bytes for the hex view. */
  decode(input: DecodeInput, keys: KeySource[], revealSecrets: boolean, options?: DecodeOptions): Promise<DecodedMessage>;
  /**
   * Decodes messages in order as one session, as a client or server would see them: every key
   * learned from an earlier message (session keys, subkeys, armor keys) opens the later ones. A
   * message that does not decode gets a report carrying its error; the others still decode.
   */
  decodeSession(inputs: DecodeInput[], keys: KeySource[], revealSecrets: boolean): Promise<{ messages: DecodedMessage[] }>;
  /** With the service's password (`options`), a key that does not decrypt the ticket is told by its salt and the KDC's. */
  explainKey(input: DecodeInput, keytab: FileSource, options?: ExplainKeyOptions): Promise<KeyMatchReport[]>;
}
