/**
 * The SASL view's engine side: a client and a server of ours talking through the bench, one
 * message per step, each keeping its own Exchange. And single peers: one side of ours facing
 * someone else's (`kbench sasl client|server` against the Cyrus sample programs), the caller
 * carrying the tokens.
 */
import { randomUUID } from 'node:crypto';
import type { FileSource } from '../api/inspect';
import type { LabService } from '../api/lab';
import type { SaslPeerMessage, SaslPeerOptions, SaslPeerStep, SaslPeerView, SaslRunOptions, SaslRunView, SaslService } from '../api/sasl';
import { BenchFailure } from '../engine/failure';
import type { Exchange } from '../exchange/model';
import { ExchangeRecorder } from '../exchange/recorder';
import { fileOf, resolveProfile, systemProfile, withRuntime } from '../gss/profiles';
import type { GssSupervisor } from '../gss/supervisor';
import type { KerberosProfile } from '../gss/types';
import { parseKeytab } from '../krb/keytab';
import { kerberosFilePath, readUserFile } from '../system/files';
import { readKeytabFile } from '../system/keytab-file';
import { SaslGssapiClient, type ClientReply } from './client';
import { OFFERS, SaslProtocolError } from './layers';
import { SaslGssapiServer, type ServerReply } from './server';
import { decodeTranscript } from './transcript';

interface Run {
  id: string;
  options: SaslRunOptions;
  client: SaslGssapiClient;
  server: SaslGssapiServer;
  clientRecorder: ExchangeRecorder;
  serverRecorder: ExchangeRecorder;
  /** The message in flight and who receives it next. */
  pending: { to: 'client' | 'server'; token: Buffer } | null;
  started: boolean;
}

/** One side of ours; the other side is the caller's. */
type Peer = { id: string; role: 'client'; side: SaslGssapiClient } | { id: string; role: 'server'; side: SaslGssapiServer };

const MAX_RUNS = 20;
const MAX_PEERS = 20;

export class SaslServiceImpl implements SaslService {
  private readonly runs = new Map<string, Run>();
  private readonly peers = new Map<string, Peer>();

  constructor(
    private readonly gss: () => GssSupervisor,
    private readonly lab: LabService,
  ) {}

  /** The named profile on the engine the run asks for (MIT unless 'java'). */
  private async profile(options: SaslRunOptions): Promise<KerberosProfile> {
    const profile = options.profile === 'lab' ? await this.labProfile(options.realm) : systemProfile();
    return withRuntime(profile, options.engine ?? 'mit');
  }

  /** Another lab realm (an AD one) gets its own profile id: one GSS worker per realm, as the probe does. */
  private async labProfile(realm: string | undefined): Promise<KerberosProfile> {
    return realm ? { ...(await this.lab.profile({ realm })), id: `lab:${realm}` } : this.lab.profile();
  }

  async start(options: SaslRunOptions): Promise<SaslRunView> {
    if (options.engine === 'java' && options.layer !== 'none') {
      // The client's integrity/privacy half is the bench's RFC 4121 code, keyed from the ccache;
      // the JVM keeps its service ticket (and session key) in its Subject, never in the ccache.
      throw new BenchFailure(`the Java engine runs SASL with layer none only: Java keeps the service ticket's session key inside the JVM (it never writes tickets to the ccache), and the ${options.layer} layer needs it; choose layer none, or engine mit`);
    }
    const profile = await this.profile(options);
    const keytabFile = fileOf(profile.keytab);
    if (!keytabFile) throw new BenchFailure(`the ${profile.name} profile has no FILE: keytab for the server side`);
    const keytab = parseKeytab(await readUserFile(kerberosFilePath(keytabFile, 'keytab'))).keytab.entries;
    const ccachePath = fileOf(profile.ccache);
    const common = { mechanism: 'GSSAPI', service: options.service, profile: profile.id, source: 'sasl' as const };
    const clientRecorder = new ExchangeRecorder({ ...common, role: 'client' });
    const serverRecorder = new ExchangeRecorder({ ...common, role: 'server' });
    const worker = this.gss().worker(profile);
    const run: Run = {
      id: randomUUID(),
      options,
      client: new SaslGssapiClient({
        gss: worker,
        service: options.service,
        desiredLayer: options.layer,
        ...(options.authzid ? { authzid: options.authzid } : {}),
        ...(ccachePath ? { ccachePath } : {}),
        recorder: clientRecorder,
      }),
      server: new SaslGssapiServer({ gss: worker, service: options.service, offer: OFFERS[options.offer], keytab, keytabLabel: keytabFile, recorder: serverRecorder }),
      clientRecorder,
      serverRecorder,
      pending: null,
      started: false,
    };
    // Keep a bounded number of runs: the oldest goes first.
    if (this.runs.size >= MAX_RUNS) await this.close(this.runs.keys().next().value!);
    this.runs.set(run.id, run);
    return this.view(run);
  }

  private run(id: string): Run {
    const run = this.runs.get(id);
    if (!run) throw new BenchFailure(`no SASL run ${id} (closed, or the engine restarted)`);
    return run;
  }

  private state(run: Run): SaslRunView['state'] {
    const outcomes = [run.clientRecorder.exchange.verdict.outcome, run.serverRecorder.exchange.verdict.outcome];
    if (outcomes.includes('failure')) return 'failed';
    if (run.server.established) return 'established';
    return run.started ? 'running' : 'ready';
  }

  private next(run: Run): string | null {
    const state = this.state(run);
    if (state === 'failed' || state === 'established') return null;
    if (!run.started) return `the client starts: ${run.options.engine === 'java' ? 'Java GSS' : 'MIT'} builds the AP-REQ, sent as the initial response`;
    if (!run.pending) return null;
    return run.pending.to === 'server' ? 'the server takes the client\'s message' : 'the client takes the server\'s challenge';
  }

  private view(run: Run): SaslRunView {
    return {
      id: run.id,
      options: run.options,
      state: this.state(run),
      next: this.next(run),
      client: structuredClone(run.clientRecorder.exchange),
      server: structuredClone(run.serverRecorder.exchange),
    };
  }

  async step(id: string): Promise<SaslRunView> {
    const run = this.run(id);
    const state = this.state(run);
    if (state === 'failed' || state === 'established') return this.view(run);
    if (!run.started) {
      run.started = true;
      const reply = await run.client.start();
      run.pending = reply.kind === 'response' ? { to: 'server', token: reply.token } : null;
      if (reply.kind === 'failure') run.serverRecorder.finish({ outcome: 'failure', reason: `the client gave up: ${reply.reason}` });
      return this.view(run);
    }
    const pending = run.pending;
    if (!pending) return this.view(run);
    run.pending = null;
    if (pending.to === 'server') {
      const reply = await run.server.receive(pending.token);
      if (reply.kind === 'challenge') run.pending = { to: 'client', token: reply.token };
      if (reply.kind === 'failure') run.clientRecorder.finish({ outcome: 'failure', reason: `the server refused: ${reply.reason}` });
    } else {
      const reply = await run.client.receive(pending.token);
      if (reply.kind === 'response') run.pending = { to: 'server', token: reply.token };
      if (reply.kind === 'failure') run.serverRecorder.finish({ outcome: 'failure', reason: `the client gave up: ${reply.reason}` });
    }
    return this.view(run);
  }

  async finish(id: string): Promise<SaslRunView> {
    for (let i = 0; i < 16; i++) {
      const view = await this.step(id);
      if (view.state === 'established' || view.state === 'failed') return view;
    }
    throw new BenchFailure('no verdict after 16 steps');
  }

  async send(id: string, from: 'client' | 'server', text: string): Promise<SaslRunView> {
    const run = this.run(id);
    if (!run.server.established || !run.client.established) throw new BenchFailure('application messages need an established exchange: step until the server accepts');
    const plaintext = Buffer.from(text, 'utf8');
    try {
      if (from === 'client') run.server.unprotect(await run.client.protect(plaintext));
      else await run.client.unprotect(run.server.protect(plaintext));
    } catch (error) {
      if (error instanceof SaslProtocolError) throw new BenchFailure(error.message);
      throw error;
    }
    return this.view(run);
  }

  async close(id: string): Promise<void> {
    const run = this.runs.get(id);
    if (!run) return;
    this.runs.delete(id);
    await Promise.all([run.client.dispose(), run.server.dispose()]);
  }

  async openPeer(options: SaslPeerOptions): Promise<SaslPeerView> {
    const profile = options.profile === 'lab' ? await this.labProfile(options.realm) : await resolveProfile(options.profile, { lab: () => this.lab, paths: options.paths ?? {} });
    const recorder = new ExchangeRecorder({ source: 'sasl', role: options.role, mechanism: 'GSSAPI', service: options.service, profile: profile.id });
    let peer: Peer;
    if (options.role === 'client') {
      const ccachePath = fileOf(profile.ccache);
      const side = new SaslGssapiClient({
        gss: this.gss().worker(profile),
        service: options.service,
        desiredLayer: options.layer ?? 'none',
        ...(options.authzid ? { authzid: options.authzid } : {}),
        ...(ccachePath ? { ccachePath } : {}),
        recorder,
      });
      peer = { id: randomUUID(), role: 'client', side };
    } else {
      const keytabFile = fileOf(profile.keytab);
      // `field` names the missing input: `kbench sasl server` turns it into a usage error.
      if (!keytabFile) throw new BenchFailure(`the server needs a FILE: keytab, and the ${profile.name} profile names none`, { field: 'keytab' });
      const { entries } = await readKeytabFile(keytabFile);
      const side = new SaslGssapiServer({ gss: this.gss().worker(profile), service: options.service, offer: OFFERS[options.offer ?? 'emqx'], keytab: entries, keytabLabel: keytabFile, recorder });
      peer = { id: randomUUID(), role: 'server', side };
    }
    // Keep a bounded number of peers: the oldest goes first.
    if (this.peers.size >= MAX_PEERS) await this.closePeer(this.peers.keys().next().value!);
    this.peers.set(peer.id, peer);
    return this.peerView(peer);
  }

  private peer(id: string): Peer {
    const peer = this.peers.get(id);
    if (!peer) throw new BenchFailure(`no SASL peer ${id} (closed, or the engine restarted)`);
    return peer;
  }

  private peerView(peer: Peer): SaslPeerView {
    const choice = peer.side.securityLayer;
    return {
      id: peer.id,
      role: peer.role,
      established: peer.side.established,
      ...(choice ? { securityLayer: { layer: choice.layer, maxBuffer: choice.maxBuffer } } : {}),
      exchange: structuredClone(peer.side.exchange),
    };
  }

  private peerStep(peer: Peer, reply: ClientReply | ServerReply): SaslPeerStep {
    const view = this.peerView(peer);
    switch (reply.kind) {
      case 'response':
      case 'challenge':
        return { ...view, kind: reply.kind, token: reply.token.toString('base64') };
      case 'success':
        return { ...view, kind: 'success' };
      case 'failure':
        return { ...view, kind: 'failure', reason: reply.reason };
    }
  }

  async peerStart(id: string): Promise<SaslPeerStep> {
    const peer = this.peer(id);
    if (peer.role !== 'client') throw new BenchFailure('a server peer starts with the client\'s initial response: pass it to peerReceive');
    return this.peerStep(peer, await this.protocol(() => peer.side.start()));
  }

  async peerReceive(id: string, token: string): Promise<SaslPeerStep> {
    const peer = this.peer(id);
    const bytes = Buffer.from(token, 'base64');
    const reply = await this.protocol<ClientReply | ServerReply>(() => peer.side.receive(bytes));
    return this.peerStep(peer, reply);
  }

  async peerProtect(id: string, data: string): Promise<SaslPeerMessage> {
    const peer = this.peer(id);
    const plaintext = Buffer.from(data, 'base64');
    const message = await this.protocol(async () => peer.side.protect(plaintext));
    return { ...this.peerView(peer), data: message.toString('base64') };
  }

  async peerUnprotect(id: string, message: string): Promise<SaslPeerMessage> {
    const peer = this.peer(id);
    const bytes = Buffer.from(message, 'base64');
    const plaintext = await this.protocol(async () => peer.side.unprotect(bytes));
    return { ...this.peerView(peer), data: plaintext.toString('base64') };
  }

  /** A SASL protocol error (out of turn, no layer yet, a bad frame) is the caller's to read: a BenchFailure with its message. */
  private async protocol<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof SaslProtocolError) throw new BenchFailure(error.message);
      throw error;
    }
  }

  async closePeer(id: string): Promise<SaslPeerView | null> {
    const peer = this.peers.get(id);
    if (!peer) return null;
    this.peers.delete(id);
    const view = this.peerView(peer);
    await peer.side.dispose();
    return view;
  }

  /** Releases every run's and peer's GSS contexts (the engine disposes its workers next). */
  async dispose(): Promise<void> {
    await Promise.all([...[...this.runs.keys()].map((id) => this.close(id)), ...[...this.peers.keys()].map((id) => this.closePeer(id))]);
  }

  async decodeTranscript(text: string, keytab: FileSource): Promise<Exchange> {
    const label = 'path' in keytab ? kerberosFilePath(keytab.path, 'keytab') : keytab.name;
    const bytes = 'path' in keytab ? await readUserFile(label) : Buffer.from(keytab.base64, 'base64');
    let entries;
    try {
      entries = parseKeytab(bytes).keytab.entries;
    } catch (error) {
      throw new BenchFailure(`${label}: ${(error as Error).message}`, { part: 'keytab' });
    }
    try {
      return decodeTranscript(text, [{ kind: 'keytab', label, entries }]);
    } catch (error) {
      // `part` says which input is wrong: `kbench sasl decode` names the transcript file then.
      throw new BenchFailure((error as Error).message, { part: 'transcript' });
    }
  }
}
