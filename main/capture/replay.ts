/**
 * Replays an Exchange's client side against a broker, three ways (issue 13 item 6): verbatim
 * (the captured bytes again: replay/verbatim.ts), fresh (new tokens from a profile, the captured
 * CONNECT: replay/fresh.ts), lab (a lab realm and listener made like the captured server, then a
 * fresh replay: replay/lab.ts). Each replay is a new Exchange (source 'replay', role 'client'),
 * with its diff against the original.
 */
import type { ProbeService } from '../api/broker';
import type { ReplayOptions, ReplayResult } from '../api/capture';
import type { LabService } from '../api/lab';
import { diffExchanges } from '../exchange/diff';
import type { Exchange } from '../exchange/model';
import type { GssSupervisor } from '../gss/supervisor';
import { asReplay, probeOptionsFor, runProbe } from './replay/fresh';
import { labPlan, prepareLab } from './replay/lab';
import { replayVerbatim } from './replay/verbatim';

/** What a replay needs from the engine: the lab (lab mode), the probe (fresh and lab), GSS workers (the lab's listener). */
export interface ReplayDeps {
  lab: LabService;
  probe: ProbeService;
  supervisor: () => GssSupervisor;
}

async function replayFresh(options: ReplayOptions, deps: ReplayDeps, notes: string[]): Promise<Exchange> {
  const profile = options.profile ?? 'lab';
  const { options: probeOptions, notes: said } = probeOptionsFor(options.exchange, { to: options.to, profile, ...(options.service ? { service: options.service } : {}) });
  notes.push(...said, `new tokens from the ${profile} profile for ${probeOptions.service ?? `mqtt@${new URL(options.to).hostname}`}`);
  return asReplay(await runProbe(deps.probe, probeOptions), options.exchange, 'fresh', probeOptions);
}

async function replayLab(options: ReplayOptions, deps: ReplayDeps, notes: string[]): Promise<Exchange> {
  const plan = labPlan(options.exchange, options.service);
  const listener = await prepareLab(deps.lab, deps.supervisor, plan, notes);
  try {
    const service = `${plan.service.slice(0, plan.service.indexOf('/'))}@${plan.service.slice(plan.service.indexOf('/') + 1)}`;
    const { options: probeOptions, notes: said } = probeOptionsFor(options.exchange, { to: listener.url, profile: 'lab', realm: plan.realm, service });
    notes.push(...said);
    if (options.to !== listener.url) notes.push(`replayed against the lab's listener, not ${options.to}`);
    return asReplay(await runProbe(deps.probe, probeOptions), options.exchange, 'lab', probeOptions);
  } finally {
    await listener.close();
    notes.push('stopped the lab listener');
  }
}

/** Replays `options.exchange` as `options.mode` says and compares the new Exchange with it. */
export async function replayExchange(options: ReplayOptions, deps: ReplayDeps): Promise<ReplayResult> {
  const notes: string[] = [];
  let replay: Exchange;
  if (options.mode === 'verbatim') {
    const result = await replayVerbatim(options.exchange, options.to);
    notes.push(...result.notes);
    replay = result.exchange;
  } else if (options.mode === 'fresh') {
    replay = await replayFresh(options, deps, notes);
  } else {
    replay = await replayLab(options, deps, notes);
  }
  return { original: options.exchange, replay, diff: diffExchanges(options.exchange, replay), notes };
}
