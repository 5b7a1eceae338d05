import { spawn } from 'node:child_process';
import { findElectronRuntime, hasDisplay } from '../../system/electron-runtime';
import { packageRoot } from '../../system/paths';
import type { Command } from '../command';
import { bringLabUpForServing } from './lab';
import { parsePort, serveWebMode } from './web';

export type LaunchPlan = { mode: 'electron'; binary: string } | { mode: 'web'; reason: string };

/**
 * Decides between the desktop window and web mode. Electron needs its downloaded runtime and a
 * display; as root it also needs --no-sandbox, which would switch off Chromium's sandbox — we
 * refuse that and use web mode instead.
 */
export function planLaunch(facts: {
  binary: string | null;
  missingReason: string | null;
  display: boolean;
  isRoot: boolean;
  forceWeb: boolean;
}): LaunchPlan {
  if (facts.forceWeb) return { mode: 'web', reason: 'web mode requested (--web)' };
  if (!facts.binary) return { mode: 'web', reason: facts.missingReason ?? 'the Electron runtime is not installed' };
  if (!facts.display) return { mode: 'web', reason: 'no display (DISPLAY / WAYLAND_DISPLAY unset)' };
  if (facts.isRoot) return { mode: 'web', reason: 'running as root: Electron would need --no-sandbox, and the bench keeps its sandbox on' };
  return { mode: 'electron', binary: facts.binary };
}

export const startCommand: Command = {
  name: 'start',
  summary: 'open the desktop app, or web mode when Electron or a display is missing',
  usage: ['start [--web] [--port N] [--no-lab]'],
  details: 'Brings the lab realm up first (kbench lab up; its KDC keeps running afterwards) unless --no-lab.',
  options: { web: { type: 'boolean' }, port: { type: 'string' }, 'no-lab': { type: 'boolean' } },
  async run(input) {
    const runtime = findElectronRuntime(packageRoot());
    const plan = planLaunch({
      binary: runtime.binary,
      missingReason: runtime.missingReason,
      display: hasDisplay(input.io.env),
      isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
      forceWeb: Boolean(input.values.web),
    });
    if (plan.mode === 'web') {
      input.io.stdout(`Starting web mode: ${plan.reason}.\n`);
      return serveWebMode(input, parsePort(input.values.port, startCommand), true);
    }
    await bringLabUpForServing(input.io, input.engine('cli'), input.values['no-lab'] === true);
    const child = spawn(plan.binary, [packageRoot()], { stdio: 'inherit', env: input.io.env });
    // A SIGTERM (or SIGINT) for kbench start is meant for the app: pass it on, and end with it.
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGTERM', forward);
    process.on('SIGINT', forward);
    return new Promise((resolve) => {
      const done = (code: number) => {
        process.off('SIGTERM', forward);
        process.off('SIGINT', forward);
        resolve(code);
      };
      child.on('error', (error) => {
        input.io.stderr(`Could not start Electron: ${error.message}\n`);
        done(1);
      });
      child.on('exit', (code) => done(code ?? 1));
    });
  },
};
