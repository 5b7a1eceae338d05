import { enctypeName } from '../names';

/** Where a key came from, so every decrypted part can say which key opened it. */
export type KeyOrigin = 'keytab' | 'ccache' | 'password' | 'raw' | 'learned';

export interface KeyEntry {
  enctype: number;
  key: Buffer;
  origin: KeyOrigin;
  /** Human description: "keytab svc.keytab: mqtt/localhost@BENCH.TEST kvno 2", "session key from Ticket EncTicketPart". */
  source: string;
  principal?: string;
  kvno?: number;
}

/**
 * The keys a decode may use: long-term keys the user supplied (keytab, password, raw) and keys
 * learned while decoding (session keys from tickets and KDC replies, subkeys from authenticators
 * and AP-REPs) — Wireshark's approach. Learned keys persist for the next message of the same
 * conversation (AP-REQ then AP-REP then Wrap tokens).
 */
export class KeyRing {
  private readonly entries: KeyEntry[] = [];

  add(entry: KeyEntry): void {
    const duplicate = this.entries.some((e) => e.enctype === entry.enctype && e.key.equals(entry.key));
    if (!duplicate) this.entries.push(entry);
  }

  get size(): number {
    return this.entries.length;
  }

  all(): readonly KeyEntry[] {
    return this.entries;
  }

  /** Keys for this enctype, most recently learned first (the likeliest to fit the next message). */
  candidates(enctype: number): KeyEntry[] {
    const matching = this.entries.filter((e) => e.enctype === enctype);
    return [...matching.filter((e) => e.origin === 'learned').reverse(), ...matching.filter((e) => e.origin !== 'learned')];
  }

  /** A short list of what is on the ring, for "no key fits" messages. */
  describe(): string {
    return this.entries.map((e) => `${enctypeName(e.enctype)} from ${e.source}`).join('; ');
  }
}

/** A salt/etype hint seen on the wire (ETYPE-INFO2 in a KRB-ERROR or AS-REP). */
export interface SaltHint {
  etype: number;
  salt?: string;
  s2kparams?: Buffer;
}

/** What a decode carries in DecodeContext.extra. */
export interface DecodeSession {
  keyring: KeyRing;
  /** Called when ETYPE-INFO2 reveals salts, so password keys can be derived with the KDC's salt. */
  learnSalts?(hints: SaltHint[]): void;
  /** Called when a decrypted part reveals a key (session key, subkey). */
  learnKey?(entry: KeyEntry): void;
}

/** Adds a learned key to the ring and tells the session. */
export function learn(extra: unknown, entry: Omit<KeyEntry, 'origin'>): void {
  const session = sessionOf(extra);
  if (!session) return;
  const full: KeyEntry = { ...entry, origin: 'learned' };
  session.keyring.add(full);
  session.learnKey?.(full);
}

export function sessionOf(extra: unknown): DecodeSession | undefined {
  return extra && typeof extra === 'object' && 'keyring' in extra ? (extra as DecodeSession) : undefined;
}
