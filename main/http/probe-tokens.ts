/**
 * The probe's tokens as Exchange steps, decoded the way every Exchange decodes GSS context tokens
 * (main/sasl/decoder.ts: SPNEGO, the Kerberos messages inside, NTLMSSP), with the session keys of
 * the initiator's ccache once MIT has stored the service ticket there (our own authenticator and
 * the AP-REP then open).
 */
import { readFile } from 'node:fs/promises';
import type { ExchangeStep, StepDirection, TransportPacket } from '../exchange/model';
import type { ExchangeRecorder } from '../exchange/recorder';
import { parseCcache } from '../krb/ccache';
import { ccacheKeyEntries } from '../krb/decode/session';
import { decodedStep, SaslStepDecoder } from '../sasl/decoder';

export class NegotiateTokens {
  private readonly decoder = new SaslStepDecoder([]);
  private learned = false;

  constructor(
    private readonly ccachePath: string | undefined,
    recorder: ExchangeRecorder,
  ) {
    if (ccachePath) recorder.noteKeyFile('ccache', ccachePath);
  }

  step(direction: StepDirection, token: Buffer, transport: TransportPacket, trace?: string[]): Omit<ExchangeStep, 'index' | 'at' | 'elapsedMs'> {
    return decodedStep(this.decoder, direction, token, transport, trace?.length ? { trace } : {});
  }

  /** After the first initiator step: the ccache now holds the service ticket's session key. */
  async learnCcacheKeys(): Promise<void> {
    if (this.learned || !this.ccachePath) return;
    this.learned = true;
    try {
      const credentials = parseCcache(await readFile(this.ccachePath)).ccache.credentials;
      for (const entry of ccacheKeyEntries({ label: this.ccachePath, credentials })) this.decoder.session.keyring.add(entry);
    } catch {
      // Decoding is a courtesy: without the keys the steps still show their structure.
    }
  }
}
