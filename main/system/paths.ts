import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the bench keeps its data: lab realms, saved Exchanges, settings.
 * KBENCH_DATA_DIR overrides; otherwise the platform's per-user data directory.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.KBENCH_DATA_DIR) return path.resolve(env.KBENCH_DATA_DIR);
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Kerberos Bench');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Kerberos Bench');
  return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'kerberos-bench');
}

let cachedRoot: string | undefined;

/**
 * The bench's install directory (the folder holding its package.json). Found by walking up from
 * this module, so it works from the sources, from the bundled `out/main` and from chunk files.
 */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        if ((JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'kerberos-bench') return (cachedRoot = dir);
      } catch {
        // unreadable package.json: keep walking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('Kerberos Bench install directory not found (no package.json named kerberos-bench above this module)');
    dir = parent;
  }
}

let cachedVersion: string | undefined;

/** The bench's own version, from its package.json. */
export function benchVersion(): string {
  return (cachedVersion ??= (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version);
}
