/**
 * Lab replay: the captured flow against a known-good server. A lab realm named like the captured
 * one, holding the captured service principal (with the captured enctype and, where the lab can
 * reach it, kvno) and client principal; a broker listener of its own on a free loopback port for
 * that service; then a fresh replay against it. When the original failed and this succeeds, the
 * diff shows what the original server or client had differently.
 *
 * What the lab cannot do, said in the notes: lower a kvno (kadmin only counts up), and make
 * tokens as a client other than the lab's user (it keeps a TGT for that one only).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LabPrincipal, LabService, LabStatus } from '../../api/lab';
import { startBroker, type Broker } from '../../broker/broker';
import type { Authenticator } from '../../broker/auth';
import { kerberosAuthenticator } from '../../broker/kerberos-setup';
import { BenchFailure } from '../../engine/failure';
import type { Exchange } from '../../exchange/model';
import { presentedTicket } from '../../exchange/diff';
import type { GssSupervisor } from '../../gss/supervisor';
import { ENCTYPES } from '../../krb/names';

/** The lab's own user: the one principal it keeps a TGT for (lab/service.ts). */
const LAB_USER = 'alice';
/** Key rotations a lab replay makes at most to reach the captured kvno. */
const MAX_ROTATIONS = 10;
const REALM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export interface LabTargetPlan {
  realm: string;
  /** "mqtt/broker.example.com" (no realm). */
  service: string;
  /** The captured client, with its realm, when known. */
  client?: string;
  kvno: number | null;
  etype: number | null;
  method: 'GSSAPI-KERBEROS' | 'GSSAPI';
}

const realmOf = (principal: string) => (principal.includes('@') ? principal.slice(principal.lastIndexOf('@') + 1) : undefined);
const withoutRealm = (principal: string) => (principal.includes('@') ? principal.slice(0, principal.lastIndexOf('@')) : principal);

/** What the lab must hold: read from the captured ticket and principals; `service` ("mqtt@host") overrides the sname. */
export function labPlan(original: Exchange, service?: string): LabTargetPlan {
  const ticket = presentedTicket(original);
  const principals = original.capture?.principals ?? [];
  const client = original.identity?.principal ?? principals.find((p) => !withoutRealm(p).includes('/'));
  const servicePrincipal = principals.find((p) => withoutRealm(p).includes('/'));
  const realm = ticket?.realm ?? (servicePrincipal && realmOf(servicePrincipal)) ?? (client && realmOf(client));
  if (!realm) throw new BenchFailure('a lab replay needs the captured realm: this Exchange names no ticket or principal with a realm');
  if (!REALM_NAME.test(realm)) throw new BenchFailure(`the captured realm "${realm}" is not a name the lab accepts (letters, digits, ".", "_", "-"; at most 63)`);
  const sname = service ? service.replace('@', '/') : (ticket?.sname ?? (servicePrincipal && withoutRealm(servicePrincipal)));
  if (!sname) throw new BenchFailure('a lab replay needs the captured service: give --service SERVICE@HOST');
  const method = original.mechanism === 'GSSAPI' ? 'GSSAPI' : 'GSSAPI-KERBEROS';
  return { realm, service: sname, ...(client ? { client } : {}), kvno: ticket?.kvno ?? null, etype: ticket?.etype ?? null, method };
}

function principalIn(status: LabStatus, name: string): LabPrincipal | undefined {
  return status.principals.find((p) => p.name === `${withoutRealm(name)}@${status.realm}`);
}

/** The captured client in the lab: added when missing (random password, never shown); tokens are still made as the lab's user. */
async function ensureClient(lab: LabService, status: LabStatus, plan: LabTargetPlan, notes: string[]): Promise<void> {
  const name = plan.client ? withoutRealm(plan.client) : undefined;
  if (!name || name === LAB_USER) return;
  if (!principalIn(status, name)) {
    await lab.addPrincipal({ realm: plan.realm, name, password: randomBytes(18).toString('base64url'), undoable: false });
    notes.push(`added the captured client ${name}@${plan.realm} (random password)`);
  }
  notes.push(`the new tokens are made as ${LAB_USER}@${plan.realm}, not ${name}: the lab keeps a TGT for ${LAB_USER} only`);
}

/**
 * The captured service with the captured enctype and kvno: new random keys of that enctype
 * (kadmin ktadd -e, kvno + 1 each time, the service keytab gets them) until the kvno is reached.
 */
async function ensureService(lab: LabService, plan: LabTargetPlan, notes: string[]): Promise<LabStatus> {
  let status = await lab.status({ realm: plan.realm });
  if (!principalIn(status, plan.service)) {
    status = await lab.addPrincipal({ realm: plan.realm, name: plan.service, random: true, undoable: false });
    notes.push(`added the service ${plan.service}@${plan.realm} (random key, in the lab's service keytab)`);
  }
  const etypeName = plan.etype === null ? undefined : ENCTYPES[plan.etype];
  if (plan.etype !== null && !etypeName) notes.push(`the captured etype ${plan.etype} is not one the lab can make: the service keeps its enctypes`);
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'kbench-replay-'));
  try {
    for (let rotations = 0; rotations < MAX_ROTATIONS; rotations++) {
      const current = principalIn(status, plan.service)!;
      const kvnoShort = plan.kvno !== null && current.kvno < plan.kvno;
      const etypeWrong = etypeName !== undefined && (current.enctypes.length !== 1 || current.enctypes[0] !== etypeName);
      if (!kvnoShort && !(etypeWrong && rotations === 0)) break;
      await lab.exportKeytab({ realm: plan.realm, path: path.join(scratch, 'service.keytab'), principals: [`${plan.service}@${plan.realm}`], ...(etypeName ? { enctypes: [etypeName] } : {}), newKeys: true, replace: true });
      status = await lab.status({ realm: plan.realm });
      notes.push(`gave ${plan.service}@${plan.realm} new ${etypeName ?? ''} keys: kvno ${principalIn(status, plan.service)!.kvno}`.replace('  ', ' '));
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const kvno = principalIn(status, plan.service)!.kvno;
  if (plan.kvno !== null && kvno !== plan.kvno) notes.push(`the lab's ${plan.service} is at kvno ${kvno}, the captured ticket's is ${plan.kvno}: ${kvno > plan.kvno ? 'a kvno only counts up' : `the lab stops after ${MAX_ROTATIONS} rotations`}`);
  return status;
}

/** A broker listener of the replay's own on 127.0.0.1 (a free port) for the lab's service; the caller closes it. */
export interface LabListener {
  url: string;
  close(): Promise<void>;
}

async function startListener(lab: LabService, gss: () => GssSupervisor, status: LabStatus, plan: LabTargetPlan): Promise<LabListener> {
  const profile = { ...(await lab.profile({ realm: plan.realm })), id: `lab:${plan.realm}` };
  let authenticator: Authenticator | undefined;
  let broker: Broker | undefined;
  try {
    authenticator = await kerberosAuthenticator({
      gss: gss(),
      profile,
      keytabFile: status.keytabs.service,
      principal: `${plan.service}@${plan.realm}`,
      variant: plan.method === 'GSSAPI' ? 'single-round' : 'emqx',
    });
    broker = await startBroker({ listeners: [{ protocol: 'tcp', host: '127.0.0.1', port: 0, authenticators: [authenticator], allowAnonymous: false }] });
  } catch (error) {
    await authenticator?.dispose?.();
    throw error instanceof BenchFailure ? error : new BenchFailure(`the lab replay could not start its broker listener: ${(error as Error).message}`);
  }
  const running = broker;
  const auth = authenticator;
  return {
    url: running.listeners[0]!.url,
    async close() {
      await running.close();
      await auth.dispose?.();
    },
  };
}

/** Brings up the lab realm for the capture and starts a listener for its service; notes say what was made. */
export async function prepareLab(lab: LabService, gss: () => GssSupervisor, plan: LabTargetPlan, notes: string[]): Promise<LabListener> {
  const up = await lab.up({ realm: plan.realm });
  notes.push(up.created ? `made the lab realm ${plan.realm}` : `the lab realm ${plan.realm} was there already`);
  await ensureClient(lab, up, plan, notes);
  const status = await ensureService(lab, plan, notes);
  const listener = await startListener(lab, gss, status, plan);
  const entry = principalIn(status, plan.service)!;
  notes.push(`started a broker listener at ${listener.url} for ${plan.service}@${plan.realm} (kvno ${entry.kvno}, ${entry.enctypes.join(', ')}; ${plan.method})`);
  return listener;
}
