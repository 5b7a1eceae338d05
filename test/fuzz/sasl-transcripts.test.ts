/**
 * Hostile SASL GSSAPI transcripts (the Cyrus sample programs' "S:"/"C:" line protocol) and
 * security-layer messages (RFC 4752 §3.1). Seed: a real transcript between Cyrus's
 * sasl-sample-server and sasl-sample-client on a throwaway MIT realm (AP-REQ, AP-REP, the wrapped
 * offer and reply, privacy-wrapped application messages), decoded with the realm's service keytab
 * so the decryption paths run too. Mutated as text (lines, characters) and as the bytes inside one
 * line. Only SaslProtocolError may escape; a decoded transcript must be an Exchange that saves
 * and opens again (what the user does with it next).
 */
import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExchange, serializeExchange } from '../../main/exchange/serialize';
import type { KeySpec } from '../../main/krb/decode/session';
import { parseKeytab } from '../../main/krb/keytab';
import { decodeChoice, decodeOffer, describeChoice, describeOffer, layerTree, OFFERS, SaslProtocolError } from '../../main/sasl/layers';
import { SaslLineChannel } from '../../main/sasl/lines';
import { decodeTranscript, parseTranscript } from '../../main/sasl/transcript';
import { createTestRealm, type TestRealm } from '../helpers/lab';
import { cyrusClient, cyrusServer, runPeers } from '../helpers/sasl-peers';
import { fuzz, fuzzRuns, fuzzTimeout, mutatedBytes, mutatedText } from './harness';

/** A decoded transcript is an Exchange the user can save and open again. */
function decodeAndReopen(text: string, keys: readonly KeySpec[]): void {
  const exchange = decodeTranscript(text, keys);
  parseExchange(serializeExchange(exchange));
}

describe('SASL transcripts', () => {
  let lab: TestRealm;
  let keys: KeySpec[];
  let transcript: string;
  let messages: { side: 'S' | 'C'; bytes: Buffer }[];

  beforeAll(async () => {
    lab = await createTestRealm();
    const run = await runPeers(lab, cyrusServer(), cyrusClient());
    if (run.timedOut) throw new Error(run.timedOut);
    transcript = `${run.transcript.join('\n')}\n`;
    messages = run.transcript.map((line) => ({ side: line[0] as 'S' | 'C', bytes: Buffer.from(line.slice(2).trim(), 'base64') }));
    keys = [{ kind: 'keytab', label: 'service keytab', entries: parseKeytab(await readFile(lab.serviceKeytab)).keytab.entries }];
  }, 60_000);
  afterAll(() => lab?.destroy());

  it('the seed decodes to a successful Exchange (so mutations start from a real conversation)', () => {
    const exchange = decodeTranscript(transcript, keys);
    expect(exchange.verdict.outcome).toBe('success');
    expect(exchange.steps.length).toBeGreaterThanOrEqual(6);
  });

  // Without keys: the line protocol and every token's structure, many inputs a second.
  it('decodes text-mutated transcripts', () =>
    fuzz({
      name: 'sasl-transcript-text',
      input: mutatedText([transcript, `chatter before\n${transcript}trailing chatter\n`], 6),
      run: (text) => decodeAndReopen(text, []),
      typed: [SaslProtocolError],
    }, fuzzRuns(500)), fuzzTimeout());

  // With the service keytab: every input decrypts a ticket and an authenticator (tens of ms each).
  it('decodes transcripts with the bytes of one message mutated', () =>
    fuzz({
      name: 'sasl-transcript-bytes',
      input: fc.tuple(fc.nat(), fc.nat()).chain(([which]) =>
        mutatedBytes([messages[which % messages.length]!.bytes], 10).map((bytes) => ({ which: which % messages.length, bytes })),
      ),
      run: ({ which, bytes }) => {
        const lines = messages.map((m, i) => `${m.side}: ${(i === which ? bytes : m.bytes).toString('base64')}`);
        decodeAndReopen(lines.join('\n'), keys);
      },
      typed: [SaslProtocolError],
    }, fuzzRuns(150)), fuzzTimeout());

  it('reads transcripts from a stream, side by side (SaslLineChannel)', () =>
    fuzz({
      name: 'sasl-line-channel',
      input: mutatedText([transcript], 6),
      run: async (text) => {
        const input = new PassThrough();
        const channel = new SaslLineChannel(input);
        input.end(text);
        parseTranscript(text);
        for (let i = 0; i < 40; i++) await channel.next(i % 2 ? 'S' : 'C', 1_000);
      },
      typed: [SaslProtocolError],
    }, fuzzRuns(500)), fuzzTimeout());
});

describe('RFC 4752 security-layer messages', () => {
  it('decodes any offer and reply, against any offer', () =>
    fuzz({
      name: 'sasl-security-layer',
      input: fc.tuple(fc.uint8Array({ maxLength: 24 }), fc.option(fc.constantFrom(OFFERS.emqx, OFFERS.cyrus, { layers: 0, maxBuffer: 0 }, { layers: 0xff, maxBuffer: 0xffffff }))),
      run: ([bytes, offer]) => {
        layerTree('offer', bytes);
        layerTree('choice', bytes);
        try {
          describeOffer(decodeOffer(bytes));
        } catch (error) {
          if (!(error instanceof SaslProtocolError)) throw error;
        }
        describeChoice(decodeChoice(bytes, offer ?? undefined));
      },
      typed: [SaslProtocolError],
    }), fuzzTimeout());
});
