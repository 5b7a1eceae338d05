/**
 * Writes the bench's own TLS secrets (Node's 'keylog' event: one NSS key log line, newline
 * included) to a key log file, so a capture of the bench's TLS listener or probe can be decrypted
 * by `kbench capture scan --keylog FILE` or Wireshark (tls.keylog_file). The file holds secrets: it
 * is created 0600, and lines are appended in order, one write each (O_APPEND keeps several writers'
 * lines whole).
 */
import { appendFile } from 'node:fs/promises';

/** KEY LOG mode: the owner only. */
const KEY_LOG_MODE = 0o600;

export interface KeyLogAppender {
  (line: Buffer): void;
  /** Resolves once every line given so far is written (or dropped after an error). */
  flushed(): Promise<void>;
}

/** A 'keylog' listener appending to `file`; the first write error goes to `onError`, later lines are dropped. */
export function keyLogAppender(file: string, onError: (error: Error) => void = () => undefined): KeyLogAppender {
  let queue: Promise<void> = Promise.resolve();
  let failed = false;
  const append = (line: Buffer): void => {
    if (failed) return;
    queue = queue
      .then(() => (failed ? undefined : appendFile(file, line, { mode: KEY_LOG_MODE })))
      .catch((error: Error) => {
        if (failed) return;
        failed = true;
        onError(error);
      });
  };
  return Object.assign(append, { flushed: () => queue });
}
