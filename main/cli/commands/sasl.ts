/**
 * `kbench sasl client|server|decode`: SASL GSSAPI in the Cyrus sample programs' line protocol on
 * stdin/stdout ("S: <base64>" / "C: <base64>"), so either side can face sasl-sample-server or
 * sasl-sample-client; and transcripts of such runs decoded with a service keytab.
 */
import type { Readable } from 'node:stream';
import { ExchangeRecorder } from '../../exchange/recorder';
import { serializeExchange } from '../../exchange/serialize';
import type { Exchange } from '../../api';
import { GssSupervisor } from '../../gss/supervisor';
import { SaslGssapiClient } from '../../sasl/client';
import { OFFERS, SaslProtocolError, type SaslLayer } from '../../sasl/layers';
import { protocolLine, SaslLineChannel } from '../../sasl/lines';
import { SaslGssapiServer } from '../../sasl/server';
import { splitMechanism } from '../../sasl/transcript';
import { BenchFailure } from '../../engine/failure';
import { invokeService } from '../invoke';
import { readUserFile, writeFileAtomic } from '../../system/files';
import { logSafe } from '../../system/log-safe';
import { EXIT_FAILURE, EXIT_OK, UsageError, type CliIo, type Command, type CommandInput } from '../command';
import { json } from '../format';
import { readKeytabEntries } from '../key-options';
import { fileOf } from '../../gss/profiles';
import { PROFILE_HELP, profileFrom, profileOptions } from '../profile-options';
import { formatTree } from '../tree-format';

type IoWithStdin = CliIo & { stdin?: Readable };

const MECHANISM = 'GSSAPI';
const LAYERS: SaslLayer[] = ['none', 'integrity', 'privacy'];

function service(input: CommandInput, command: Command): string {
  const value = input.values.service as string | undefined;
  if (!value) throw new UsageError('--service is required (e.g. mqtt@localhost)', command);
  if (!/^[^@\s]+@[^@\s]*$/.test(value)) throw new UsageError(`--service must look like service@host, got "${value}"`, command);
  return value;
}

/** Application messages carry a trailing NUL, as the Cyrus samples send them. */
const withNul = (text: string) => Buffer.from(`${text}\0`, 'utf8');
const withoutNul = (bytes: Buffer) => bytes.toString('utf8').replace(/\0$/, '');

async function saveExchange(input: CommandInput, exchange: Exchange): Promise<void> {
  const file = input.values.exchange as string | undefined;
  if (file) await writeFileAtomic(file, Buffer.from(serializeExchange(exchange)), 0o600);
}

function channelFrom(io: IoWithStdin): SaslLineChannel {
  return new SaslLineChannel(io.stdin ?? process.stdin);
}

const clientCommand: Command = {
  name: 'client',
  summary: 'be the SASL GSSAPI client (initiator) on stdin/stdout',
  usage: ['sasl client --service SERVICE@HOST [--layer none|integrity|privacy] [--authzid ID] [--message TEXT] [--exchange FILE] [profile options]'],
  details: `Reads "S:" lines from stdin and writes "C:" lines to stdout, as sasl-sample-client does; the
first C: line is "GSSAPI", a NUL and the initial response. Diagnostics go to stderr. After the
exchange it reads the server's application message and sends --message (default "client message 1").
--layer is the layer wanted if offered (default none). --exchange FILE saves the Exchange as JSON.
${PROFILE_HELP}`,
  options: { ...profileOptions, service: { type: 'string' }, layer: { type: 'string' }, authzid: { type: 'string' }, message: { type: 'string' }, exchange: { type: 'string' } },
  async run(input) {
    const { values, io } = input;
    const layer = (values.layer as SaslLayer | undefined) ?? 'none';
    if (!LAYERS.includes(layer)) throw new UsageError(`--layer must be none, integrity or privacy`, clientCommand);
    const name = service(input, clientCommand);
    const profile = await profileFrom(input, clientCommand);
    const gss = new GssSupervisor();
    const recorder = new ExchangeRecorder({ source: 'sasl', role: 'client', mechanism: MECHANISM, service: name, profile: profile.id });
    const ccachePath = fileOf(profile.ccache);
    const client = new SaslGssapiClient({
      gss: gss.worker(profile),
      service: name,
      desiredLayer: layer,
      ...(values.authzid ? { authzid: values.authzid as string } : {}),
      ...(ccachePath ? { ccachePath } : {}),
      recorder,
    });
    const channel = channelFrom(io);
    try {
      const mechanisms = (await channel.next('S')).toString('utf8');
      io.stderr(`server offers mechanisms: ${logSafe(mechanisms)}\n`);
      if (!mechanisms.split(/[\s,]+/).includes(MECHANISM)) throw new SaslProtocolError(`the server does not offer ${MECHANISM}`);
      let reply = await client.start();
      let first = true;
      while (reply.kind === 'response') {
        io.stdout(protocolLine('C', first ? Buffer.concat([Buffer.from(`${MECHANISM}\0`), reply.token]) : reply.token));
        first = false;
        if (client.established) break;
        reply = await client.receive(await channel.next('S'));
      }
      if (reply.kind === 'failure') {
        io.stderr(`authentication failed: ${logSafe(reply.reason)}\n`);
        return EXIT_FAILURE;
      }
      io.stderr(`negotiation complete: security layer ${client.securityLayer!.layer}, max buffer ${client.securityLayer!.maxBuffer}\n`);
      const fromServer = await channel.next('S').catch(() => undefined);
      if (fromServer) {
        io.stderr(`received message "${logSafe(withoutNul(await client.unprotect(fromServer)))}"\n`);
        io.stdout(protocolLine('C', await client.protect(withNul((values.message as string | undefined) ?? 'client message 1'))));
      }
      return EXIT_OK;
    } finally {
      await saveExchange(input, recorder.exchange);
      await client.dispose();
      await gss.dispose();
    }
  },
};

const serverCommand: Command = {
  name: 'server',
  summary: 'be the SASL GSSAPI server (acceptor) on stdin/stdout',
  usage: ['sasl server --service SERVICE@HOST [--offer emqx|cyrus] [--message TEXT] [--exchange FILE] [profile options]'],
  details: `Writes "S:" lines to stdout and reads "C:" lines from stdin, as sasl-sample-server does: first
the mechanism list, then each challenge. MIT validates the AP-REQ (the profile's keytab and replay
cache); the security-layer round is the bench's own RFC 4121 code. --offer emqx offers no layer
(0x01, max buffer 0), --offer cyrus all three (0x07, 2048). After success it sends --message
(default "srv message 1") and reads the client's message. --exchange FILE saves the Exchange.
${PROFILE_HELP}`,
  options: { ...profileOptions, service: { type: 'string' }, offer: { type: 'string' }, message: { type: 'string' }, exchange: { type: 'string' } },
  async run(input) {
    const { values, io } = input;
    const offerName = (values.offer as string | undefined) ?? 'emqx';
    if (offerName !== 'emqx' && offerName !== 'cyrus') throw new UsageError('--offer must be emqx or cyrus', serverCommand);
    const name = service(input, serverCommand);
    const profile = await profileFrom(input, serverCommand);
    const keytabFile = fileOf(profile.keytab);
    if (!keytabFile) throw new UsageError('the server needs a FILE: keytab (--keytab, or a profile that has one)', serverCommand);
    const { entries } = await readKeytabEntries(keytabFile);
    const gss = new GssSupervisor();
    const recorder = new ExchangeRecorder({ source: 'sasl', role: 'server', mechanism: MECHANISM, service: name, profile: profile.id });
    const server = new SaslGssapiServer({ gss: gss.worker(profile), service: name, offer: OFFERS[offerName], keytab: entries, keytabLabel: keytabFile, recorder });
    const channel = channelFrom(io);
    try {
      io.stdout(protocolLine('S', Buffer.from(MECHANISM)));
      const initial = splitMechanism(await channel.next('C'));
      if (initial.mechanism && initial.mechanism !== MECHANISM) throw new SaslProtocolError(`the client chose ${initial.mechanism}; only ${MECHANISM} is offered`);
      let reply = await server.receive(initial.token);
      while (reply.kind === 'challenge') {
        io.stdout(protocolLine('S', reply.token));
        reply = await server.receive(await channel.next('C'));
      }
      if (reply.kind === 'failure') {
        io.stderr(`authentication failed: ${logSafe(reply.reason)}\n`);
        return EXIT_FAILURE;
      }
      const { identity, securityLayer } = recorder.exchange;
      io.stderr(`negotiation complete: ${logSafe(identity?.principal ?? '?')}${identity?.authzid ? ` as ${logSafe(identity.authzid)}` : ''}, security layer ${securityLayer?.layer}\n`);
      io.stdout(protocolLine('S', server.protect(withNul((values.message as string | undefined) ?? 'srv message 1'))));
      const fromClient = await channel.next('C').catch(() => undefined);
      if (fromClient) io.stderr(`received message "${logSafe(withoutNul(server.unprotect(fromClient)))}"\n`);
      return EXIT_OK;
    } finally {
      await saveExchange(input, recorder.exchange);
      await server.dispose();
      await gss.dispose();
    }
  },
};

const decodeCommand: Command = {
  name: 'decode',
  summary: 'decode a recorded C:/S: transcript with the service keytab',
  usage: ['sasl decode TRANSCRIPT --keytab KT [--json]'],
  details: `TRANSCRIPT holds "C: <base64>" / "S: <base64>" lines (other lines are ignored). Decodes every step:
AP-REQ (ticket and authenticator decrypted), AP-REP, the security-layer offer and reply, and the
wrapped application messages, decrypted to their text. --json prints the Exchange.`,
  options: { keytab: { type: 'string' }, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const { values, positionals, io } = input;
    if (!values.keytab) throw new UsageError('--keytab is required', decodeCommand);
    const text = (await readUserFile(positionals[0]!)).toString('utf8');
    let exchange: Exchange;
    try {
      exchange = await invokeService(input.engine(), 'sasl', 'decodeTranscript', text, { path: values.keytab as string });
    } catch (error) {
      if (error instanceof BenchFailure && (error.details as { part?: string } | undefined)?.part === 'transcript') throw new Error(`${positionals[0]}: ${error.message}`);
      throw error;
    }
    if (values.json) io.stdout(json(exchange));
    else {
      for (const step of exchange.steps) {
        io.stdout(`${step.direction === 'client-to-server' ? 'C →' : '← S'} ${step.transport.packet}: ${step.tokenKind} — ${logSafe(step.summary ?? '')}\n`);
        if (step.decoded) io.stdout(`${formatTree(step.decoded, 2).join('\n')}\n`);
        if (step.error) io.stdout(`  ! ${logSafe(step.error)}\n`);
      }
      io.stdout(`verdict: ${exchange.verdict.outcome}: ${logSafe(exchange.verdict.reason)}\n`);
    }
    return exchange.verdict.outcome === 'failure' ? EXIT_FAILURE : EXIT_OK;
  },
};

export const saslCommand: Command = {
  name: 'sasl',
  summary: 'SASL GSSAPI (RFC 4752) client, server and transcript decoder',
  usage: [...clientCommand.usage, ...serverCommand.usage, ...decodeCommand.usage],
  subcommands: [clientCommand, serverCommand, decodeCommand],
};

