import { createHash } from 'node:crypto';
import { enctypeName } from '../names';

/** Where a key came from, so every decrypted part can say which key opened it. */
export type KeyOrigin = 'keytab' | 'ccache' | 'password' | 'raw' | 'learned';

/**
 * What a learned key is, when the message that taught it says: the session key of a TGT or of
 * another ticket, a subkey (of an application authenticator or an AP-REP), a TGS-REQ
 * authenticator's subkey, FAST's strengthened reply key, or another FAST key (armor, encrypted
 * challenge). RFC 4120 §7.5.1 and RFC 6113 say which of them can seal each part (decrypt.ts
 * roleCanSeal); a key without a role is tried on every part.
 */
export type KeyRole = 'tgt-session' | 'ticket-session' | 'subkey' | 'tgs-subkey' | 'fast-reply' | 'fast';

/** The role of a ticket's session key, from the ticket's service name: krbtgt/… is a TGT. */
export function sessionRole(serviceName: readonly string[]): KeyRole {
  return serviceName[0] === 'krbtgt' ? 'tgt-session' : 'ticket-session';
}

export interface KeyEntry {
  enctype: number;
  key: Buffer;
  origin: KeyOrigin;
  /** Human description: "keytab svc.keytab: mqtt/localhost@BENCH.TEST kvno 2", "session key from Ticket EncTicketPart". */
  source: string;
  principal?: string;
  kvno?: number;
  /** A learned key's role (see KeyRole); undefined: any part may be sealed with it. */
  role?: KeyRole;
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
  /**
   * Where the likely key of a part is found (issue 18: a capture's ring holds hundreds of learnt
   * keys, and trying them all for every part cost Exchanges × keys): the keys learnt or used in
   * each conversation (a capture's Exchange), and the session key that goes with each ticket.
   */
  private conversation: string | undefined;
  private readonly byConversation = new Map<string, KeyEntry[]>();
  private readonly byTicket = new Map<string, KeyEntry>();

  private find(entry: Pick<KeyEntry, 'enctype' | 'key'>): KeyEntry | undefined {
    return this.entries.find((e) => e.enctype === entry.enctype && e.key.equals(entry.key));
  }

  private insert(entry: KeyEntry): boolean {
    const duplicate = this.find(entry) !== undefined;
    if (!duplicate) this.entries.push(entry);
    return !duplicate;
  }

  /**
   * Adds the key (a copy of one on the ring is dropped) and returns the ring's entry for it. The
   * same key learned again in another role loses its role: it is then tried on every part.
   */
  add(entry: KeyEntry): KeyEntry {
    const known = this.find(entry);
    if (!known) {
      this.entries.push(entry);
      this.added.push(entry);
    } else if (known.role !== entry.role) {
      delete known.role;
    }
    this.noteUse(known ?? entry);
    return known ?? entry;
  }

  /**
   * The conversation being decoded (a capture scan names the Exchange of each token): keys
   * learnt or used from now on belong to it, and its other parts try them first.
   */
  enterConversation(id: string | undefined): void {
    this.conversation = id;
  }

  /** `entry` was learnt again or opened a part: the current conversation's likeliest key. */
  noteUse(entry: KeyEntry): void {
    if (this.conversation === undefined) return;
    const keys = this.byConversation.get(this.conversation) ?? [];
    const at = keys.indexOf(entry);
    if (at >= 0) keys.splice(at, 1);
    keys.push(entry);
    bounded(this.byConversation).set(this.conversation, keys);
  }

  /** The session key that goes with a ticket (from the KDC reply that issued it, or the ticket opened). */
  noteTicketKey(ticketCipher: Uint8Array, entry: KeyEntry): void {
    bounded(this.byTicket).set(ticketFingerprint(ticketCipher), entry);
  }

  ticketKey(ticketCipher: Uint8Array): KeyEntry | undefined {
    return this.byTicket.size > 0 ? this.byTicket.get(ticketFingerprint(ticketCipher)) : undefined;
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
    const { learned, longTerm } = byRecency(this.forEnctypes([enctype]));
    return [...learned, ...longTerm];
  }

  /**
   * Every key of every enctype (a per-message token names no enctype of its key): those learnt or
   * used in the current conversation first, then the others most recently learned first. A
   * capture scan does not decode its Exchanges in the order their keys were learnt, so "newest
   * first" alone put other sessions' keys first: 120 sessions cost 116,000 failed checks.
   */
  allLearnedFirst(): KeyEntry[] {
    const { learned, longTerm } = byRecency(this.all());
    const current = this.conversation !== undefined ? this.byConversation.get(this.conversation) : undefined;
    if (!current?.length) return [...learned, ...longTerm];
    return [...new Set([...current.slice().reverse(), ...learned, ...longTerm])];
  }

  /**
   * The same keys in the order trial decryption tries them: the `likely` ones the part names (a
   * ticket's service key, the session key of the ticket an authenticator came with), then those
   * learnt or used in the current conversation (most recent first), then every other — most
   * recently learned first, or the long-term keys first for a part sealed with one. Only one key
   * decrypts a part, so the order changes what a decode costs, never what it finds.
   */
  trialOrder(enctype: number, likely: readonly (KeyEntry | undefined)[] = [], longTermFirst = false): KeyEntry[] {
    const matching = this.forEnctypes([enctype]);
    const { learned, longTerm } = byRecency(matching);
    const current = (this.conversation !== undefined ? this.byConversation.get(this.conversation) ?? [] : []).slice().reverse();
    const ordered = new Set<KeyEntry>();
    for (const entry of [...likely, ...current]) if (entry && entry.enctype === enctype && matching.includes(entry)) ordered.add(entry);
    for (const entry of longTermFirst ? [...longTerm, ...learned] : [...learned, ...longTerm]) ordered.add(entry);
    return [...ordered];
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

/** Learned keys, most recent first, apart from the long-term ones (keytab, ccache, password, raw), in ring order. */
function byRecency(entries: readonly KeyEntry[]): { learned: KeyEntry[]; longTerm: KeyEntry[] } {
  return { learned: entries.filter((e) => e.origin === 'learned').reverse(), longTerm: entries.filter((e) => e.origin !== 'learned') };
}

/** Conversations and tickets remembered: enough for a large capture, bounded for an endless one. */
const REMEMBERED = 8192;

/** The map, with its oldest entry dropped when it is full (Maps iterate in insertion order). */
function bounded<K, V>(map: Map<K, V>): Map<K, V> {
  if (map.size >= REMEMBERED) map.delete(map.keys().next().value!);
  return map;
}

/** A ticket's identity: its cipher, hashed (the same bytes wherever the ticket travels). */
function ticketFingerprint(cipher: Uint8Array): string {
  return createHash('sha256').update(cipher).digest('base64');
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

/** Adds a learned key to the ring and tells the session; the ring's entry for it (an earlier copy if it had one). */
export function learn(extra: unknown, entry: Omit<KeyEntry, 'origin'>): KeyEntry | undefined {
  const session = sessionOf(extra);
  if (!session) return undefined;
  const full: KeyEntry = { ...entry, origin: 'learned' };
  const onRing = session.keyring.add(full);
  session.learnKey?.(full);
  return onRing;
}

export function sessionOf(extra: unknown): DecodeSession | undefined {
  return extra && typeof extra === 'object' && 'keyring' in extra ? (extra as DecodeSession) : undefined;
}
