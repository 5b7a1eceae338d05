/**
 * `kbench sasl client|server|decode`: SASL GSSAPI in the Cyrus sample programs' line protocol on
 * stdin/stdout ("S: <base64>" / "C: <base64>"), so either side can face sasl-sample-server or
 * sasl-sample-client; and transcripts of such runs decoded with a service keytab.
 */
import type { Readable } from 'node:stream';
import type { Exchange, SaslLayerName, SaslPeerView } from '../../api';
import { serializeExchange } from '../../exchange/serialize';
import { protocolLine, SaslLineChannel, splitMechanism, withMechanism } from '../../sasl/lines';
import type { Engine } from '../../engine';
import { BenchFailure } from '../../engine/failure';
import { invokeService } from '../invoke';
import { readUserFile, writeFileAtomic } from '../../system/files';
import { logSafe } from '../../system/log-safe';
import { EXIT_FAILURE, EXIT_OK, UsageError, type CliIo, type Command, type CommandInput } from '../command';
import { json } from '../format';
import { PROFILE_HELP, profileChoice, profileOptions } from '../profile-options';
import { formatTree } from '../tree-format';

type IoWithStdin = CliIo & { stdin?: Readable };

const MECHANISM = 'GSSAPI';
const LAYERS: SaslLayerName[] = ['none', 'integrity', 'privacy'];

function service(input: CommandInput, command: Command): string {
  const value = input.values.service as string | undefined;
  if (!value) throw new UsageError('--service is required (e.g. mqtt@localhost)', command);
  if (!/^[^@\s]+@[^@\s]*$/.test(value)) throw new UsageError(`--service must look like service@host, got "${value}"`, command);
  return value;
}

/** Application messages carry a trailing NUL, as the Cyrus samples send them. */
const withNul = (text: string) => Buffer.from(`${text}\0`, 'utf8').toString('base64');
const withoutNul = (base64: string) => Buffer.from(base64, 'base64').toString('utf8').replace(/\0$/, '');
const bytes = (base64: string | undefined) => Buffer.from(base64 ?? '', 'base64');

function channelFrom(io: IoWithStdin): SaslLineChannel {
  return new SaslLineChannel(io.stdin ?? process.stdin);
}

/** What the command line says about its side; the service name and the profile are common. */
type PeerSide = { role: 'client'; layer: SaslLayerName; authzid?: string } | { role: 'server'; offer: 'emqx' | 'cyrus' };

/**
 * Opens one SASL side in the engine's Sasl service, with the profile the options name (the lab
 * realm brought up first, as the help says), runs `converse` with it, and saves its Exchange
 * (--exchange) as it ended, however the conversation ended.
 */
async function withPeer(input: CommandInput, command: Command, side: PeerSide, converse: (engine: Engine, id: string) => Promise<number>): Promise<number> {
  const name = service(input, command);
  const choice = profileChoice(input, command);
  const engine = input.engine();
  if (choice.profile === 'lab') await invokeService(engine, 'lab', 'up', choice.realm ? { realm: choice.realm } : {});
  let peer: SaslPeerView;
  try {
    peer = await invokeService(engine, 'sasl', 'openPeer', { ...side, service: name, ...choice });
  } catch (error) {
    // The service names the missing input; on the command line that is a usage error.
    if (error instanceof BenchFailure && (error.details as { field?: string } | undefined)?.field === 'keytab') {
      throw new UsageError('the server needs a FILE: keytab (--keytab, or a profile that has one)', command);
    }
    throw error;
  }
  try {
    return await converse(engine, peer.id);
  } finally {
    const last = await invokeService(engine, 'sasl', 'closePeer', peer.id);
    await saveExchange(input, last?.exchange ?? peer.exchange);
  }
}

async function saveExchange(input: CommandInput, exchange: Exchange): Promise<void> {
  const file = input.values.exchange as string | undefined;
  if (file) await writeFileAtomic(file, Buffer.from(serializeExchange(exchange)), 0o600);
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
    const layer = (values.layer as SaslLayerName | undefined) ?? 'none';
    if (!LAYERS.includes(layer)) throw new UsageError(`--layer must be none, integrity or privacy`, clientCommand);
    const authzid = values.authzid as string | undefined;
    return withPeer(input, clientCommand, { role: 'client', layer, ...(authzid ? { authzid } : {}) }, async (engine, id) => {
      const channel = channelFrom(io);
      const mechanisms = (await channel.next('S')).toString('utf8');
      io.stderr(`server offers mechanisms: ${logSafe(mechanisms)}\n`);
      if (!mechanisms.split(/[\s,]+/).includes(MECHANISM)) throw new Error(`the server does not offer ${MECHANISM}`);
      let reply = await invokeService(engine, 'sasl', 'peerStart', id);
      let first = true;
      while (reply.kind === 'response') {
        io.stdout(protocolLine('C', first ? withMechanism(MECHANISM, bytes(reply.token)) : bytes(reply.token)));
        first = false;
        if (reply.established) break;
        reply = await invokeService(engine, 'sasl', 'peerReceive', id, (await channel.next('S')).toString('base64'));
      }
      if (reply.kind === 'failure') {
        io.stderr(`authentication failed: ${logSafe(reply.reason ?? '')}\n`);
        return EXIT_FAILURE;
      }
      io.stderr(`negotiation complete: security layer ${reply.securityLayer!.layer}, max buffer ${reply.securityLayer!.maxBuffer}\n`);
      const fromServer = await channel.next('S').catch(() => undefined);
      if (fromServer) {
        const opened = await invokeService(engine, 'sasl', 'peerUnprotect', id, fromServer.toString('base64'));
        io.stderr(`received message "${logSafe(withoutNul(opened.data))}"\n`);
        const sent = await invokeService(engine, 'sasl', 'peerProtect', id, withNul((values.message as string | undefined) ?? 'client message 1'));
        io.stdout(protocolLine('C', bytes(sent.data)));
      }
      return EXIT_OK;
    });
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
    const offer = (values.offer as string | undefined) ?? 'emqx';
    if (offer !== 'emqx' && offer !== 'cyrus') throw new UsageError('--offer must be emqx or cyrus', serverCommand);
    return withPeer(input, serverCommand, { role: 'server', offer }, async (engine, id) => {
      const channel = channelFrom(io);
      io.stdout(protocolLine('S', Buffer.from(MECHANISM)));
      const initial = splitMechanism(await channel.next('C'));
      if (initial.mechanism && initial.mechanism !== MECHANISM) throw new Error(`the client chose ${initial.mechanism}; only ${MECHANISM} is offered`);
      let reply = await invokeService(engine, 'sasl', 'peerReceive', id, initial.token.toString('base64'));
      while (reply.kind === 'challenge') {
        io.stdout(protocolLine('S', bytes(reply.token)));
        reply = await invokeService(engine, 'sasl', 'peerReceive', id, (await channel.next('C')).toString('base64'));
      }
      if (reply.kind === 'failure') {
        io.stderr(`authentication failed: ${logSafe(reply.reason ?? '')}\n`);
        return EXIT_FAILURE;
      }
      const { identity, securityLayer } = reply.exchange;
      io.stderr(`negotiation complete: ${logSafe(identity?.principal ?? '?')}${identity?.authzid ? ` as ${logSafe(identity.authzid)}` : ''}, security layer ${securityLayer?.layer}\n`);
      const sent = await invokeService(engine, 'sasl', 'peerProtect', id, withNul((values.message as string | undefined) ?? 'srv message 1'));
      io.stdout(protocolLine('S', bytes(sent.data)));
      const fromClient = await channel.next('C').catch(() => undefined);
      if (fromClient) io.stderr(`received message "${logSafe(withoutNul((await invokeService(engine, 'sasl', 'peerUnprotect', id, fromClient.toString('base64'))).data))}"\n`);
      return EXIT_OK;
    });
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

