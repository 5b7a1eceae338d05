import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface ElectronRuntime {
  /** Version of the `electron` npm package, or null when it is not installed. */
  packageVersion: string | null;
  /** Absolute path of the Electron executable when it has been downloaded. */
  binary: string | null;
  /** Why the runtime cannot start, in words; null when it can. */
  missingReason: string | null;
}

/**
 * Finds the Electron runtime the way the `electron` package's own index.js does (path.txt next
 * to it names the executable under dist/), without importing it: engine code never imports
 * 'electron', and on machines where the download was skipped that import throws.
 */
export function findElectronRuntime(fromDir: string = process.cwd()): ElectronRuntime {
  let packageJson: string;
  try {
    packageJson = createRequire(path.join(fromDir, 'package.json')).resolve('electron/package.json');
  } catch {
    return { packageVersion: null, binary: null, missingReason: 'the electron npm package is not installed (npm ci)' };
  }
  const dir = path.dirname(packageJson);
  const packageVersion = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  const pathTxt = path.join(dir, 'path.txt');
  if (!existsSync(pathTxt)) {
    return {
      packageVersion,
      binary: null,
      missingReason: `the Electron ${packageVersion} runtime was never downloaded (node node_modules/electron/install.js fetches it, as scripts/setup.sh does; it needs the network)`,
    };
  }
  const binary = path.join(dir, 'dist', readFileSync(pathTxt, 'utf8').trim());
  if (!existsSync(binary)) return { packageVersion, binary: null, missingReason: `Electron executable missing: ${binary}` };
  return { packageVersion, binary, missingReason: null };
}

/** Whether a graphical session is available to open a window in. */
export function hasDisplay(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}
