import { findExecutable } from './exec';

/** Browser executables we know, best first. KBENCH_CHROMIUM overrides them all. */
const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

/** Finds a Chromium-family browser: used by the doctor, `kbench web --open` and the e2e tests. */
export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  if (env.KBENCH_CHROMIUM) return env.KBENCH_CHROMIUM;
  for (const name of CHROMIUM_NAMES) {
    const found = await findExecutable(name, env);
    if (found) return found;
  }
  return null;
}
