/**
 * One Kerberos flow on the Java engine, as a Java server runs it: the initiator's JAAS login
 * (LoginContext on com.sun.security.jgss.krb5.initiate), a service ticket for an SPN (the first
 * initSecContext), and an acceptor logged in from com.sun.security.jgss.krb5.accept accepting
 * the token. Both sides live in one JVM, as in a Hazelcast member or a Java application server.
 * Every step carries Java's own text when it fails (resources/java/kbench/Errors.java).
 */
import type { GssSupervisor } from '../../gss/supervisor';
import { GssError, type GssHandle, type KerberosProfile } from '../../gss/types';

/** A step of a flow: the shape of both ExportProof and ImportTestStep. */
export interface FlowStep {
  name: string;
  ok: boolean;
  detail: string;
  ms?: number;
}

export interface JavaFlowInput {
  supervisor: () => GssSupervisor;
  /** runtime 'java' with its jaasConfig. */
  profile: KerberosProfile;
  /** "hz/127.0.0.1@BENCH.TEST": the SPN the initiator asks a ticket for. */
  spn: string;
  /** GSS_C_*_FLAG bits the initiator asks for (Hazelcast: none). */
  flags?: number;
  names: { login: string; ticket: string; accept: string };
  /** What login, ticket and accept used, for the details ("principal hz/127.0.0.1@BENCH.TEST, keyTab …"). */
  about: { login: string; accept: string };
  /** The name the product reports for the accepted principal (use-name-without-realm …). */
  productName?: (principal: string) => string;
}


/** Java's text for a failed call (the worker's GssError), or the error's own message. */
export function javaText(error: unknown): string {
  if (error instanceof GssError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

async function timed<T>(run: () => Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const started = performance.now();
  try {
    const value = await run();
    return { value, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { error, ms: Math.round(performance.now() - started) };
  }
}

/** Where the SPN's realm matters: Java maps a host-based name to its realm from krb5.conf. */
function sameSpn(asked: string, accepted: string): boolean {
  return asked.includes('@') ? accepted === asked : accepted.split('@')[0] === asked;
}

export async function runJavaFlow(input: JavaFlowInput): Promise<FlowStep[]> {
  const steps: FlowStep[] = [];
  const worker = input.supervisor().worker(input.profile);
  // The SPN as written, a Kerberos principal name (GSS_KRB5_NT_PRINCIPAL_NAME), as Hazelcast asks
  // for it (createName(spn, null)): no host-based mapping, and a one-part static SPN works too.
  const created = await timed(() => worker.createClient(input.spn, { flags: input.flags ?? 0, nameType: 'principal' }));
  if (!created.value) {
    steps.push({ name: input.names.login, ok: false, detail: `${javaText(created.error)} (${input.about.login})`, ms: created.ms });
    return steps;
  }
  steps.push({ name: input.names.login, ok: true, detail: `Krb5LoginModule logged in; ${input.about.login}`, ms: created.ms });
  const handle: GssHandle = created.value.value.handle;
  try {
    const first = await timed(() => worker.clientStep(handle, ''));
    if (!first.value) {
      steps.push({ name: input.names.ticket, ok: false, detail: javaText(first.error), ms: first.ms });
      return steps;
    }
    const token = first.value.value.response;
    steps.push({ name: input.names.ticket, ok: true, detail: `Java GSS got a service ticket for ${input.spn} (asked for by that name, as Hazelcast does); AP-REQ token ${Buffer.from(token, 'base64').length} bytes`, ms: first.ms });
    steps.push(await accept(input, worker, handle, token, first.value.value.complete));
  } finally {
    await worker.release(handle).catch(() => undefined);
  }
  return steps;
}

async function accept(input: JavaFlowInput, worker: ReturnType<GssSupervisor['worker']>, client: GssHandle, token: string, clientDone: boolean): Promise<FlowStep> {
  const result = await timed(async () => {
    const server = (await worker.createServer('')).value.handle;
    const step = (await worker.serverStep(server, token)).value;
    if (!clientDone && step.response) await worker.clientStep(client, step.response);
    return step;
  });
  const name = input.names.accept;
  if (!result.value) return { name, ok: false, detail: `${javaText(result.error)} (${input.about.accept})`, ms: result.ms };
  const step = result.value;
  if (!step.complete || !step.username) return { name, ok: false, detail: `the acceptor did not complete the context in one step (${input.about.accept})`, ms: result.ms };
  const target = step.targetName ?? '';
  if (target && !sameSpn(input.spn, target)) {
    return { name, ok: false, detail: `the ticket was for ${target}, not ${input.spn}: Java mapped the host-based name to another realm (check [domain_realm] and default_realm)`, ms: result.ms };
  }
  const product = input.productName ? input.productName(step.username) : step.username;
  const shown = product === step.username ? step.username : `${product} (Kerberos name ${step.username})`;
  return { name, ok: true, detail: `accepted ${step.username} for ${target || input.spn}; the user is ${shown}; ${input.about.accept}`, ms: result.ms };
}
