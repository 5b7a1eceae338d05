/**
 * Java scenarios: the lab realm broken the ways Java servers (Elasticsearch's Kerberos realm,
 * Hazelcast) break, with the JVM's own Kerberos stack doing the failing — a Java GSS worker
 * (profile runtime 'java': JAAS Krb5LoginModule + Java GSS) — so the error is Java's text and the
 * trace its sun.security.krb5.debug lines. The client side of an accept is MIT (the lab profile,
 * alice's ccache) sending a SPNEGO token, as curl --negotiate would to an Elasticsearch node.
 *
 * Keys only ever change on a principal of these scenarios' own (kbench-java/localhost), removed
 * again afterwards; a JAAS file a scenario needs is written into its scratch directory, with the
 * entry names Java GSS looks up (the worker takes them too: main/gss/java/jaas.ts).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Exchange } from '../exchange/model';
import { ExchangeRecorder } from '../exchange/recorder';
import { jaasValue, JAAS_ACCEPT_ENTRY, JAAS_INITIATE_ENTRY, KRB5_LOGIN_MODULE } from '../gss/java/jaas';
import { GssError, type KerberosProfile } from '../gss/types';
import { addScenarioPrincipal, removeScenarioPrincipal } from './scenario-principal';
import type { Attempt, Scenario, ScenarioContext } from './scenarios';

/** The Java scenarios' own service principal, so re-keying it harms nothing else. */
const JAVA_SERVICE = 'kbench-java/localhost';
const JAVA_GSS_NAME = 'kbench-java@localhost';

// ---- profiles and JAAS files ------------------------------------------------------------------

/** A Java worker profile on the lab's krb5.conf; `keytab` is the acceptor's, `jaasConfig` the user's own file. */
function javaProfile(ctx: ScenarioContext, id: string, files: { keytab?: string; jaasConfig?: string }): KerberosProfile {
  return {
    id: `scenario:${id}:java`,
    name: `scenario ${id} (Java)`,
    kind: 'custom',
    runtime: 'java',
    krb5Config: ctx.status.krb5Conf,
    ...(files.keytab ? { keytab: `FILE:${files.keytab}` } : {}),
    ...(files.jaasConfig ? { jaasConfig: files.jaasConfig } : {}),
  };
}

type JaasOptions = Record<string, string | boolean>;

/** One JAAS entry for Krb5LoginModule, values quoted as Java's parser reads them. */
function jaasEntry(name: string, options: JaasOptions): string {
  const lines = Object.entries(options).map(([key, value]) => `    ${key}=${typeof value === 'boolean' ? String(value) : jaasValue(value, key)}`);
  return `${name} {\n  ${KRB5_LOGIN_MODULE} required\n${lines.join('\n')};\n};\n`;
}

/** A user's own JAAS file in the scratch directory, with these entries. */
async function writeJaas(ctx: ScenarioContext, entries: Record<string, JaasOptions>): Promise<string> {
  const file = path.join(ctx.dir, 'jaas.conf');
  await writeFile(file, Object.entries(entries).map(([name, options]) => jaasEntry(name, options)).join(''), { mode: 0o600 });
  return file;
}

// ---- flows -------------------------------------------------------------------------------------

/** What a failed GSS call said: Java's text, and its debug lines as the step's trace. */
function failureOf(error: unknown): { message: string; trace: string[] } {
  if (error instanceof GssError) return { message: error.message, trace: error.trace };
  return { message: (error as Error).message, trace: [] };
}

/** alice's SPNEGO initial token for `service`, from MIT (the lab profile); throws when MIT cannot make one. */
async function mitSpnegoToken(ctx: ScenarioContext, service: string): Promise<string> {
  const worker = ctx.gss.worker(ctx.profile);
  const { handle } = (await worker.createClient(service, { mech: 'spnego' })).value;
  try {
    return (await worker.clientStep(handle, '')).value.response;
  } finally {
    await worker.release(handle);
  }
}

/**
 * A Java acceptor (as an Elasticsearch node accepts Negotiate) logs in and accepts `token`; the
 * Exchange is the server's side, its one step carrying Java's error and debug lines.
 */
async function javaAccept(ctx: ScenarioContext, profile: KerberosProfile, token: string): Promise<Attempt> {
  const recorder = new ExchangeRecorder({ source: 'http', role: 'server', mechanism: 'Negotiate', service: JAVA_GSS_NAME, profile: profile.id });
  const worker = ctx.gss.worker(profile);
  let handle: string | undefined;
  try {
    handle = (await worker.createServer('')).value.handle;
    const step = await worker.serverStep(handle, token);
    if (step.value.complete) handle = undefined; // the worker released it
    recorder.add({ direction: 'client-to-server', transport: { protocol: 'gss', packet: 'SPNEGO initial token' }, token, ...(step.trace.length ? { trace: step.trace } : {}) });
    recorder.finish({ outcome: 'success', reason: `accepted ${step.value.username ?? 'the client'}` });
    return { error: '', exchanges: [recorder.exchange] };
  } catch (error) {
    return failedAttempt(recorder, { direction: 'client-to-server', packet: 'SPNEGO initial token', token }, error);
  } finally {
    if (handle) await worker.release(handle).catch(() => undefined);
  }
}

/** A Java initiator (logging in with its JAAS entry) makes its first token for `service`. */
async function javaInitiate(profile: KerberosProfile, ctx: ScenarioContext, service: string): Promise<Attempt> {
  const recorder = new ExchangeRecorder({ source: 'http', role: 'client', mechanism: 'Negotiate', service, profile: profile.id });
  const worker = ctx.gss.worker(profile);
  let handle: string | undefined;
  try {
    handle = (await worker.createClient(service, { mech: 'spnego' })).value.handle;
    const step = await worker.clientStep(handle, '');
    recorder.add({ direction: 'client-to-server', transport: { protocol: 'gss', packet: 'SPNEGO initial token' }, token: step.value.response });
    recorder.finish({ outcome: 'success', reason: 'the initiator made its token' });
    return { error: '', exchanges: [recorder.exchange] };
  } catch (error) {
    return failedAttempt(recorder, { direction: 'client-to-server', packet: 'login (no token sent)' }, error);
  } finally {
    if (handle) await worker.release(handle).catch(() => undefined);
  }
}

function failedAttempt(recorder: ExchangeRecorder, at: { direction: 'client-to-server'; packet: string; token?: string }, error: unknown): Attempt {
  const { message, trace } = failureOf(error);
  recorder.add({ direction: at.direction, transport: { protocol: 'gss', packet: at.packet }, ...(at.token ? { token: at.token } : {}), error: message, ...(trace.length ? { trace } : {}) });
  const exchange: Exchange = recorder.finish({ outcome: 'failure', reason: message });
  return { error: message, exchanges: [exchange] };
}

// ---- the scenario principal --------------------------------------------------------------------

const addJavaService = (ctx: ScenarioContext) => addScenarioPrincipal(ctx, JAVA_SERVICE, { undoable: false });
const removeJavaService = (ctx: ScenarioContext) => removeScenarioPrincipal(ctx, JAVA_SERVICE);

// ---- the scenarios -----------------------------------------------------------------------------

const rc4OnlyKeytab: Scenario = {
  id: 'java-rc4-only-keytab',
  title: 'Java acceptor with an RC4-only service keytab (JDK 17)',
  expects: 'java-weak-enctype-disabled',
  description: 'A scenario service re-keyed with rc4-hmac only (so the KDC issues RC4 tickets); a Java acceptor on JDK 17 accepts alice’s SPNEGO token with its keytab.',
  async run(ctx) {
    await addJavaService(ctx);
    const keytab = path.join(ctx.dir, 'rc4-only.keytab');
    await ctx.lab.exportKeytab({ path: keytab, principals: [JAVA_SERVICE], enctypes: ['arcfour-hmac'], newKeys: true, undoable: false });
    const token = await mitSpnegoToken(ctx, JAVA_GSS_NAME);
    return javaAccept(ctx, javaProfile(ctx, 'java-rc4-only-keytab', { keytab }), token);
  },
  restore: removeJavaService,
};

const unableToObtainPassword: Scenario = {
  id: 'java-unable-to-obtain-password',
  title: 'Java login from a keytab without the principal',
  expects: 'java-unable-to-obtain-password',
  description: 'A JAAS initiator entry (useKeyTab=true, doNotPrompt=true) logs in as alice from a keytab that holds only HTTP/localhost.',
  async run(ctx) {
    const keytab = path.join(ctx.dir, 'http-only.keytab');
    await ctx.lab.exportKeytab({ path: keytab, principals: ['HTTP/localhost'] });
    const jaasConfig = await writeJaas(ctx, {
      [JAAS_INITIATE_ENTRY]: { useKeyTab: true, keyTab: keytab, principal: `alice@${ctx.status.realm}`, storeKey: false, doNotPrompt: true, debug: true },
    });
    return javaInitiate(javaProfile(ctx, 'java-unable-to-obtain-password', { jaasConfig }), ctx, 'mqtt@localhost');
  },
};

const checksumFailedStaleKvno: Scenario = {
  id: 'java-checksum-failed-stale-kvno',
  title: 'Java acceptor with a keytab from before a key rotation',
  expects: 'java-checksum-failed',
  description: 'A scenario service’s keytab is exported, then its key is rotated; a Java acceptor (principal="*") keeps the old keytab and accepts a fresh ticket.',
  async run(ctx) {
    await addJavaService(ctx);
    const before = await ctx.lab.exportKeytab({ path: path.join(ctx.dir, 'before-rotation.keytab'), principals: [JAVA_SERVICE] });
    await ctx.lab.rotateKey({ name: JAVA_SERVICE, undoable: false });
    const token = await mitSpnegoToken(ctx, JAVA_GSS_NAME);
    return javaAccept(ctx, javaProfile(ctx, 'java-checksum-failed-stale-kvno', { keytab: before.path }), token);
  },
  restore: removeJavaService,
};

const acceptorIsInitiatorKdcDown: Scenario = {
  id: 'java-acceptor-is-initiator-kdc-down',
  title: 'Java acceptor with isInitiator=true while the KDC is down',
  expects: 'java-acceptor-is-initiator',
  description:
    'alice gets her token while the KDC runs; then the KDC stops and a Java acceptor starts with a user JAAS entry that leaves isInitiator=true (debug=true, as Elasticsearch’s krb.debug sets) — its login needs the KDC. The KDC is started again afterwards.',
  async run(ctx) {
    const keytab = path.join(ctx.dir, 'mqtt.keytab');
    await ctx.lab.exportKeytab({ path: keytab, principals: ['mqtt/localhost'] });
    const jaasConfig = await writeJaas(ctx, {
      [JAAS_ACCEPT_ENTRY]: { useKeyTab: true, keyTab: keytab, principal: `mqtt/localhost@${ctx.status.realm}`, storeKey: true, isInitiator: true, doNotPrompt: true, debug: true },
    });
    const token = await mitSpnegoToken(ctx, 'mqtt@localhost');
    await ctx.lab.stopKdc();
    return javaAccept(ctx, javaProfile(ctx, 'java-acceptor-is-initiator-kdc-down', { jaasConfig }), token);
  },
  async restore(ctx) {
    await ctx.lab.startKdc();
  },
};

export const JAVA_SCENARIOS: readonly Scenario[] = [rc4OnlyKeytab, unableToObtainPassword, checksumFailedStaleKvno, acceptorIsInitiatorKdcDown];
