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
  /** Keys added since the ring was made, in order (not the pending ones made on demand). */
  private readonly added: KeyEntry[] = [];
  /** Keys made only when first asked for: a password's key for one enctype costs PBKDF2 runs. */
  private pending: { enctype: number; make: () => KeyEntry | undefined }[] = [];

  private insert(entry: KeyEntry): boolean {
    const duplicate = this.entries.some((e) => e.enctype === entry.enctype && e.key.equals(entry.key));
    if (!duplicate) this.entries.push(entry);
    return !duplicate;
  }

  add(entry: KeyEntry): void {
    if (this.insert(entry)) this.added.push(entry);
  }

  /**
   * A key of `enctype` that `make` derives the first time a key of that enctype is wanted: a
   * password turns into ten enctypes' keys, and a message needs one or two of them.
   */
  addPending(enctype: number, make: () => KeyEntry | undefined): void {
    this.pending.push({ enctype, make });
  }

  private settle(wanted: (enctype: number) => boolean): void {
    if (!this.pending.some((p) => wanted(p.enctype))) return;
    const due = this.pending.filter((p) => wanted(p.enctype));
    this.pending = this.pending.filter((p) => !wanted(p.enctype));
    for (const { make } of due) {
      const entry = make();
      if (entry) this.insert(entry);
    }
  }

  /** How many keys the ring holds or can make. */
  get size(): number {
    return this.entries.length + this.pending.length;
  }

  /** Every key, pending ones made. */
  all(): readonly KeyEntry[] {
    this.settle(() => true);
    return this.entries;
  }

  /** The keys made so far, without deriving pending ones (a report of what opened what). */
  made(): readonly KeyEntry[] {
    return this.entries;
  }

  /** The keys of these enctypes (what a checksum type can be made with), pending ones made. */
  forEnctypes(enctypes: readonly number[]): KeyEntry[] {
    this.settle((e) => enctypes.includes(e));
    return this.entries.filter((e) => enctypes.includes(e.enctype));
  }

  /** Keys for this enctype, most recently learned first (the likeliest to fit the next message). */
  candidates(enctype: number): KeyEntry[] {
    const matching = this.forEnctypes([enctype]);
    return [...matching.filter((e) => e.origin === 'learned').reverse(), ...matching.filter((e) => e.origin !== 'learned')];
  }

  /** A mark for addedSince: how many keys have been added so far. */
  get addedCount(): number {
    return this.added.length;
  }

  /** The keys added after `mark` (learned from a message, or derived with a salt it revealed). */
  addedSince(mark: number): readonly KeyEntry[] {
    return this.added.slice(mark);
  }

  /** A short list of what is on the ring, for "no key fits" messages. */
  describe(): string {
    return this.all()
      .map((e) => `${enctypeName(e.enctype)} from ${e.source}`)
      .join('; ');
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
