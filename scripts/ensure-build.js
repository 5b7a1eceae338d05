// Builds the bench when out/ is missing or older than any source file (used by npm start and
// npm run web, so a fresh checkout or an edit never runs stale code).
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const outputs = ['out/main/cli.js', 'out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html'].map((f) => path.join(root, f));

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

const built = outputs.every(existsSync) ? Math.min(...outputs.map((f) => statSync(f).mtimeMs)) : 0;
const sources = Math.max(...['main', 'electron', 'renderer'].map((d) => newestSource(path.join(root, d))), statSync(path.join(root, 'electron.vite.config.ts')).mtimeMs);
if (built < sources) {
  console.log(built ? 'Sources changed since the last build: rebuilding…' : 'Building Kerberos Bench…');
  execSync('npx electron-vite build', { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}
