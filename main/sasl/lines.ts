/**
 * The Cyrus sample programs' line protocol: framing only, no SASL state (the Sasl service's peers
 * hold that), which is why `kbench sasl client|server` may use it (eslint.config.js).
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { SaslProtocolError } from './layers';

/**
 * The Cyrus sample programs' line protocol on a stream: "S: <base64>" / "C: <base64>", anything
 * else is chatter and skipped. `next` waits for the next line from the given side.
 */
export class SaslLineChannel {
  private readonly lines: string[] = [];
  private waiting: ((line: string | null) => void) | undefined;
  private ended = false;

  constructor(input: Readable) {
    const reader = createInterface({ input, crlfDelay: Infinity });
    reader.on('line', (line) => {
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = undefined;
        resolve(line);
      } else this.lines.push(line);
    });
    reader.on('close', () => {
      this.ended = true;
      this.waiting?.(null);
    });
  }

  private async readLine(): Promise<string | null> {
    if (this.lines.length) return this.lines.shift()!;
    if (this.ended) return null;
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** The next message from `side` ("S" or "C"), decoded from base64. */
  async next(side: 'S' | 'C', timeoutMs = 30_000): Promise<Buffer> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_r, reject) => {
      timer = setTimeout(() => reject(new SaslProtocolError(`no "${side}:" line within ${timeoutMs / 1000} s`)), timeoutMs).unref();
    });
    // Cleared on the way out: a timer left running holds this call (and every line raced against
    // it) for the whole timeout, which a long conversation or a fuzz run piles up (heap +277 MB).
    try {
      for (;;) {
        const line = await Promise.race([this.readLine(), expired]);
        if (line === null) throw new SaslProtocolError(`the peer closed the stream while we waited for a "${side}:" line`);
        const match = /^([CS]):\s?(.*)$/.exec(line);
        if (!match || match[1] !== side) continue;
        const text = match[2]!.trim();
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new SaslProtocolError(`"${side}:" line is not base64: ${text.slice(0, 40)}`);
        return Buffer.from(text, 'base64');
      }
    } finally {
      clearTimeout(timer);
    }
  }
}

/** One protocol line: "C: <base64>" ("C: " for an empty message, as the samples print it). */
export function protocolLine(side: 'S' | 'C', bytes: Uint8Array): string {
  return `${side}: ${Buffer.from(bytes).toString('base64')}\n`;
}

/** The first "C:" line's payload: the mechanism name, a NUL, the initial response. */
export function withMechanism(mechanism: string, token: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${mechanism}\0`, 'latin1'), token]);
}

/** Splits "GSSAPI\0<token>" into the mechanism name and the token. */
export function splitMechanism(bytes: Buffer): { mechanism?: string; token: Buffer } {
  const nul = bytes.indexOf(0);
  if (nul > 0 && nul <= 20 && /^[A-Z0-9_-]+$/.test(bytes.subarray(0, nul).toString('latin1'))) {
    return { mechanism: bytes.subarray(0, nul).toString('latin1'), token: bytes.subarray(nul + 1) };
  }
  return { token: bytes };
}
