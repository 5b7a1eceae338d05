/**
 * A scenario's own service principal: created when a scenario needs keys it may change, removed
 * afterwards, so the lab's own services are never touched.
 */
import { rm } from 'node:fs/promises';
import type { ScenarioContext } from './scenarios';

/** Adds `service` (random key) to the lab realm unless it is there; its full name. */
export async function addScenarioPrincipal(ctx: ScenarioContext, service: string, options: { undoable?: boolean } = {}): Promise<string> {
  const name = `${service}@${ctx.status.realm}`;
  if (!ctx.status.principals.some((p) => p.name === name)) await ctx.lab.addPrincipal({ name: service, random: true, ...options });
  return name;
}

/** Removes `service` and the keytabs its rotations left in the lab's folder. */
export async function removeScenarioPrincipal(ctx: ScenarioContext, service: string): Promise<void> {
  const status = await ctx.lab.status();
  const name = `${service}@${status.realm}`;
  if (status.principals.some((p) => p.name === name)) await ctx.lab.removePrincipal({ name: service, undoable: false });
  // A rotation keeps the keytab from before it in the lab's folder; for this principal it was the run's alone.
  await Promise.all(status.staleKeytabs.filter((k) => k.principal === name).map((k) => rm(k.path, { force: true })));
}
