import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';

/**
 * One build for the whole bench:
 *   out/main/index.js   Electron main process (electron/main.ts)
 *   out/main/cli.js     the kbench command, also the web-mode host (main/cli/main.ts)
 *   out/main/gss-worker.js  a GSS worker process, one per Kerberos profile (main/gss/worker-main.ts)
 *   out/preload/index.cjs  the sandboxed preload (CommonJS: sandboxed preloads cannot be ESM)
 *   out/renderer/       the Vue UI, served through the kbench:// protocol in Electron (electron/protocol.ts)
 *                       and over HTTP in web mode
 */
export default defineConfig({
  main: {
    build: {
      // Node 20 runs the CLI; Electron's newer Node runs the same code.
      target: 'node20',
      // zod is bundled: as a package it is some two hundred module files that Node resolves, reads
      // and links one by one at every `kbench` start (about 0.1 s); bundled, one chunk.
      externalizeDeps: { exclude: ['zod'] },
      rolldownOptions: {
        input: {
          index: resolve('electron/main.ts'),
          cli: resolve('main/cli/main.ts'),
          // GSS worker processes (main/gss/supervisor.ts forks this file, one per Kerberos profile)
          'gss-worker': resolve('main/gss/worker-main.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      rolldownOptions: {
        input: { index: resolve('electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    base: './',
    resolve: { alias: { '@api': resolve('main/api') } },
    plugins: [vue()],
    build: {
      rolldownOptions: { input: { index: resolve('renderer/index.html') } },
    },
  },
});
