/**
 * Things wrong with a per-message token that do not stop us from reading it: the checksum is
 * fine but the sequence number, direction or a header field is not what the caller expected.
 * A test bench reports these instead of throwing, so the user sees the token and the finding.
 */
export interface TokenProblem {
  code: 'sequence' | 'direction' | 'acceptor-subkey' | 'flags' | 'ec' | 'rrc' | 'rotation';
  message: string;
}

/** What the caller expects of a received token; mismatches become TokenProblems. */
export interface TokenExpectations {
  /** The peer's role: true when the token should come from the acceptor. */
  expectSentByAcceptor?: boolean;
  /** The next SND_SEQ the receiver expects. */
  expectSequence?: number | bigint;
  /** Whether the acceptor asserted a subkey in its AP-REP (RFC 4121 §4.2.2 AcceptorSubkey). */
  expectAcceptorSubkey?: boolean;
}
