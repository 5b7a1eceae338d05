/**
 * The Cyrus sample programs' line protocol on a stream: each side's next message, chatter skipped,
 * typed errors for a closed stream, a line that is not base64 and a timeout — and no timer left
 * behind by a call that has returned (the fuzz pass on SaslLineChannel grew the heap by 277 MB
 * over 80 000 transcripts while every call's 30 s timer stayed armed).
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SaslProtocolError } from '../../../main/sasl/layers';
import { protocolLine, SaslLineChannel } from '../../../main/sasl/lines';

describe('SaslLineChannel', () => {
  afterEach(() => vi.useRealTimers());

  it('reads each side in turn, skipping chatter, and leaves no timer armed', async () => {
    vi.useFakeTimers();
    const input = new PassThrough();
    const channel = new SaslLineChannel(input);
    input.end(`chatter\n${protocolLine('C', Buffer.from('hello'))}S: \n${protocolLine('S', Buffer.from([1, 2]))}`);
    expect((await channel.next('C')).toString()).toBe('hello');
    expect(await channel.next('S')).toEqual(Buffer.alloc(0));
    expect(await channel.next('S')).toEqual(Buffer.from([1, 2]));
    expect(vi.getTimerCount()).toBe(0);
    await expect(channel.next('C')).rejects.toThrow(new SaslProtocolError('the peer closed the stream while we waited for a "C:" line'));
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses a line that is not base64, and times out when the peer says nothing', async () => {
    const input = new PassThrough();
    const channel = new SaslLineChannel(input);
    input.write('C: not base64!\n');
    await expect(channel.next('C')).rejects.toThrow(SaslProtocolError);
    vi.useFakeTimers();
    const waiting = channel.next('S', 2_000);
    const refused = expect(waiting).rejects.toThrow('no "S:" line within 2 s');
    await vi.advanceTimersByTimeAsync(2_000);
    await refused;
    input.end();
  });
});
