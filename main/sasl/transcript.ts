/**
 * SASL transcripts in the Cyrus sample programs' line protocol: "S: <base64>" from the server,
 * "C: <base64>" from the client, one SASL message per line (other lines are chatter). The first
 * C line is the initial response, optionally prefixed with the mechanism name and a NUL; S lines
 * before it are the mechanism list.
 */
import type { Exchange, StepDirection } from '../exchange/model';
import { ExchangeRecorder } from '../exchange/recorder';
import type { KeySpec } from '../krb/decode/session';
import { decodedStep, SaslStepDecoder } from './decoder';
import { SaslProtocolError } from './layers';
import { splitMechanism } from './lines';

export interface TranscriptMessage {
  direction: StepDirection;
  bytes: Buffer;
  /** 1-based line number in the transcript. */
  line: number;
}

export interface ParsedTranscript {
  mechanisms: string[];
  /** The mechanism named in front of the initial response, if any. */
  mechanism?: string;
  messages: TranscriptMessage[];
}

const LINE = /^([CS]):\s?(.*)$/;

function base64(text: string, line: number): Buffer {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed)) throw new SaslProtocolError(`line ${line}: "${trimmed.slice(0, 40)}" is not base64`);
  return Buffer.from(trimmed, 'base64');
}

export function parseTranscript(text: string): ParsedTranscript {
  const result: ParsedTranscript = { mechanisms: [], messages: [] };
  text.split(/\r?\n/).forEach((raw, index) => {
    const match = LINE.exec(raw);
    if (!match) return;
    const line = index + 1;
    const bytes = base64(match[2]!, line);
    if (match[1] === 'S' && !result.messages.some((m) => m.direction === 'client-to-server')) {
      result.mechanisms.push(...bytes.toString('utf8').split(/[\s,]+/).filter(Boolean));
      return;
    }
    if (match[1] === 'C' && !result.messages.some((m) => m.direction === 'client-to-server')) {
      const { mechanism, token } = splitMechanism(bytes);
      if (mechanism) result.mechanism = mechanism;
      result.messages.push({ direction: 'client-to-server', bytes: token, line });
      return;
    }
    result.messages.push({ direction: match[1] === 'C' ? 'client-to-server' : 'server-to-client', bytes, line });
  });
  if (result.messages.length === 0) throw new SaslProtocolError('no "C:" line: this is not a SASL transcript');
  return result;
}

/** Decodes a transcript into an observer's Exchange, opening what the keys allow. */
export function decodeTranscript(text: string, keys: readonly KeySpec[]): Exchange {
  const transcript = parseTranscript(text);
  const recorder = new ExchangeRecorder({ source: 'import', role: 'observer', mechanism: transcript.mechanism ?? 'GSSAPI' });
  const decoder = new SaslStepDecoder(keys);
  let sawError: string | undefined;
  for (const message of transcript.messages) {
    const packet = message === transcript.messages[0] ? 'initial response' : message.direction === 'client-to-server' ? 'response' : 'challenge';
    const step = decodedStep(decoder, message.direction, message.bytes, { protocol: 'sasl', packet, fields: { line: message.line } });
    if (step.tokenKind?.startsWith('application message')) step.transport.packet = 'application message';
    sawError ??= step.error;
    recorder.add(step);
  }
  const choice = decoder.negotiated;
  const layer = choice?.layer;
  if (choice) recorder.exchange.securityLayer = { layer: choice.layer, maxBuffer: choice.maxBuffer };
  return recorder.finish(
    sawError
      ? { outcome: 'failure', reason: sawError }
      : layer
        ? { outcome: 'success', reason: `security layer ${layer} negotiated` }
        : { outcome: 'pending', reason: 'the transcript ends before the security-layer reply' },
  );
}
