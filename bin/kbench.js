#!/usr/bin/env node
// The `kbench` command. The CLI itself is TypeScript under main/cli, bundled to out/main/cli.js
// by `npm run build`; this file only checks the Node version and that the build exists.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`kbench: Node ${process.versions.node} is too old; Kerberos Bench needs Node 20.19 or newer.\n`);
  process.exit(1);
}

const entry = new URL('../out/main/cli.js', import.meta.url);
if (!existsSync(entry)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.stderr.write(`kbench: not built yet. Run \`npm run build\` in ${root}\n`);
  process.exit(1);
}
await import(entry.href);
