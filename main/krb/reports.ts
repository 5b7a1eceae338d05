/**
 * The report shapes the codecs hand to the CLI and the UI (types only, no code: the Bench API
 * contract re-exports them, so renderer code can use them without pulling in any codec).
 */

/** One keytab entry as `kbench keytab show --json` prints it. */
export interface KeytabEntrySummary {
  principal: string;
  kvno: number;
  /** ISO-8601 UTC. */
  timestamp: string;
  enctype: string;
  enctypeId: number;
  /** Hex; only when keys are revealed. */
  key?: string;
}

/** One keytab entry measured against a ticket. */
export interface KeyMatchVerdict {
  principal: string;
  kvno: number;
  enctype: string;
  enctypeId: number;
  principalMatches: boolean;
  kvnoMatches: boolean;
  enctypeMatches: boolean;
  /** true/false when tried; null when not tried (other enctype, or an enctype the bench lacks). */
  decrypts: boolean | null;
  /** With the password given: the salt this entry's key was made with (named only when it derives the key). */
  salt?: SaltReport;
}

/** A salt the bench found a key to be made with: MIT's default, or an AD account's (ad-salt.ts). */
export interface SaltReport {
  used: string;
  kind: 'mit' | 'ad-user' | 'ad-computer';
  account?: string;
}

export interface KeyMatchExplanation {
  ticket: { server: string; enctype: string; enctypeId: number; kvno: number | null };
  verdicts: KeyMatchVerdict[];
  /** True when an entry with the ticket's principal, kvno and enctype decrypts it. */
  ok: boolean;
  /** With the password given: the salt of the key the KDC encrypted the ticket with, when one tried decrypts it. */
  kdcSalt?: SaltReport;
  conclusion: string;
}
