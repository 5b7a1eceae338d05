/**
 * The flows scenarios break things under, shared by every scenario list (MIT, Java, AD): MIT's
 * kinit into a scratch ccache, our SASL GSSAPI client and server on GSS workers, and copies of the
 * realm's krb5.conf and client-only profiles. Every flow resolves with what failed, as printed.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ExchangeRecorder } from '../exchange/recorder';
import type { KerberosProfile } from '../gss/types';
import { parseKeytab } from '../krb/keytab';
import { SaslGssapiClient } from '../sasl/client';
import { OFFERS } from '../sasl/layers';
import { SaslGssapiServer } from '../sasl/server';
import { runTool } from '../system/exec';
import type { Attempt, ScenarioContext } from './scenarios';

/** MIT's kinit with this krb5.conf (default: the lab's) into `ccache`, tracing to `traceFile` when given. */
export function runKinit(ctx: ScenarioContext, args: string[], options: { ccache: string; krb5Conf?: string; password?: string; traceFile?: string }) {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    KRB5_CONFIG: options.krb5Conf ?? ctx.status.krb5Conf,
    KRB5CCNAME: `FILE:${options.ccache}`,
    ...(options.traceFile ? { KRB5_TRACE: options.traceFile } : {}),
  };
  return runTool('kinit', args, { env, timeoutMs: 30_000, input: options.password === undefined ? '' : `${options.password}\n` });
}

/**
 * kinit into a scratch ccache; resolves with what it printed on failure (with `trace`, the
 * KRB5_TRACE lines before the error too — some causes show only there). The trace goes to a file:
 * Node gives a child sockets for stdio, and MIT cannot open /dev/stderr on one.
 */
export async function kinit(ctx: ScenarioContext, args: string[], options: { krb5Conf?: string; password?: string; trace?: boolean } = {}): Promise<Attempt> {
  const id = randomBytes(4).toString('hex');
  const traceFile = options.trace ? path.join(ctx.dir, `kinit-${id}.trace`) : undefined;
  const { trace: _trace, ...rest } = options;
  const run = await runKinit(ctx, args, { ...rest, ccache: path.join(ctx.dir, `kinit-${id}.ccache`), ...(traceFile ? { traceFile } : {}) });
  if (run.ok) return { error: '', exchanges: [] };
  const printed = (run.error ?? run.stderr.trim()).replace(/^Password for \S+: ?/m, '').trim() || `kinit exited with ${run.code}`;
  const trace = traceFile ? await readFile(traceFile, 'utf8').catch(() => '') : '';
  return { error: trace ? `${trace.trimEnd()}\n${printed}` : printed, exchanges: [] };
}

export interface SaslFlowOptions {
  client?: KerberosProfile;
  server?: KerberosProfile;
  /** GSS service name the client asks for. */
  service?: string;
  /** The acceptor's keytab file (its name when accepting: `service`). */
  keytab?: string;
}

/** Our SASL GSSAPI client and server, both on GSS workers, until one of them fails. */
export async function saslFlow(ctx: ScenarioContext, options: SaslFlowOptions = {}): Promise<Attempt> {
  const service = options.service ?? 'mqtt@localhost';
  const keytabFile = options.keytab ?? ctx.status.keytabs.service;
  const keytab = parseKeytab(await readFile(keytabFile)).keytab.entries;
  const clientProfile = options.client ?? ctx.profile;
  const serverProfile = options.server ?? { ...ctx.profile, id: `${ctx.profile.id}:scenario-acceptor:${keytabFile}`, keytab: `FILE:${keytabFile}` };
  const common = { mechanism: 'GSSAPI', service, source: 'sasl' as const };
  const clientRecorder = new ExchangeRecorder({ ...common, role: 'client', profile: clientProfile.id });
  const serverRecorder = new ExchangeRecorder({ ...common, role: 'server', profile: serverProfile.id });
  const client = new SaslGssapiClient({ gss: ctx.gss.worker(clientProfile), service, recorder: clientRecorder });
  const server = new SaslGssapiServer({ gss: ctx.gss.worker(serverProfile), service, offer: OFFERS.emqx, keytab, keytabLabel: keytabFile, recorder: serverRecorder });
  const exchanges = () => [clientRecorder.exchange, serverRecorder.exchange].filter((e) => e.steps.length > 0 || e.verdict.outcome === 'failure');
  try {
    let reply = await client.start();
    for (let round = 0; round < 8; round++) {
      if (reply.kind === 'failure') return { error: reply.reason, exchanges: exchanges() };
      const answer = await server.receive(reply.token);
      if (answer.kind === 'failure') return { error: answer.reason, exchanges: exchanges() };
      if (answer.kind === 'success') return { error: '', exchanges: exchanges() };
      reply = await client.receive(answer.token);
    }
    return { error: 'the SASL exchange did not finish in 8 rounds', exchanges: exchanges() };
  } finally {
    await Promise.all([client.dispose(), server.dispose()]);
  }
}

/** A copy of the lab's krb5.conf with `edit` applied. */
export async function krb5ConfCopy(ctx: ScenarioContext, name: string, edit: (text: string) => string): Promise<string> {
  const copy = path.join(ctx.dir, name);
  await writeFile(copy, edit(await readFile(ctx.status.krb5Conf, 'utf8')));
  return copy;
}

/** A client-only profile: this ccache and nothing else (no client keytab to fall back on). */
export function clientProfile(ctx: ScenarioContext, id: string, ccache: string, krb5Conf = ctx.status.krb5Conf): KerberosProfile {
  return { id: `scenario:${id}`, name: `scenario ${id}`, kind: 'custom', krb5Config: krb5Conf, ccache: `FILE:${ccache}` };
}
