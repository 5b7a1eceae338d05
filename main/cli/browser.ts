import { spawn } from 'node:child_process';
import { hasDisplay } from '../system/electron-runtime';

/**
 * Opens a URL in the user's browser when there is a display to show it on. Returns false when it
 * did not try (no display), so the caller can say "open this URL yourself".
 */
export function openInBrowser(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!hasDisplay(env)) return false;
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(command, args as string[], { detached: true, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}
