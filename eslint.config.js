// ESLint flat config. Besides the usual TypeScript and Vue rules it enforces the house layering
// (see ARCHITECTURE.md): main/ never imports electron; the renderer reaches main/ only through
// main/api, and only for types; main/krb is pure (node:crypto and node:buffer, nothing else of
// the engine). test/unit/lint-layering.test.ts proves each rule fires.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import vue from 'eslint-plugin-vue';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import layering from './scripts/eslint-layering.js';

const nodeBuiltinsExceptCrypto = builtinModules
  .filter((m) => !m.startsWith('_') && m !== 'crypto' && m !== 'buffer')
  .flatMap((m) => [m, `node:${m}`]);

/**
 * One engine behind every adapter (issue 18): a CLI command parses argv, calls a Bench API service
 * through the engine's dispatcher (main/cli/invoke.ts) and formats the result. It never drives
 * codecs, brokers, GSS workers or labs itself.
 */
const cliZone = () => ({
  target: './main/cli',
  from: './main',
  except: [
    './cli',
    // The contract: service interfaces, their types and schemas, the default realm names.
    './api',
    // The engine and its dispatcher, the one way into the services.
    './engine',
    // Process-level helpers an adapter needs: paths and the data directory, reading the files the
    // user names, the krb5 environment (the default keytab), escaping for terminals (log-safe).
    './system',
    // `kbench web` starts the web-mode adapter, itself a thin adapter over the same engine.
    './host',
    // The Exchange file format (kbench-exchange JSON): what --exchange FILE writes and reads, the
    // same serializer the views' saves use. Formatting, not a service.
    './exchange/serialize',
    // Wording of API values (salts, klist flag letters; an Exchange's chain trace), shared with the
    // engine's own messages. Wording only: no parsing, no I/O.
    './krb/wording',
    './exchange/wording',
    // TreeNode (an API type) and the depth guard the text tree formatter walks with.
    './krb/tree',
    // The Cyrus sample programs' line protocol ("S: <base64>" lines, "GSSAPI\0" before the initial
    // response): how `kbench sasl client|server` frame on stdin/stdout what the Sasl service's peer
    // says. Framing only: the SASL state lives in the service.
    './sasl/lines',
  ],
  message: 'main/cli is a thin adapter: call the Bench API services through the engine (main/cli/invoke.ts), do not import engine internals.',
});

/** Which folder may import which (ARCHITECTURE.md). */
const layeringZones = () => [
  { target: './main', from: './electron', message: 'main/ is plain Node: it must not depend on the Electron shell.' },
  { target: './main', from: './renderer', message: 'main/ must not import renderer code.' },
  { target: './renderer', from: './main', except: ['./api'], message: 'The renderer reaches the engine only through main/api.' },
  { target: './renderer', from: './electron', message: 'The renderer talks to Electron only through the preload bridge (window.bench).' },
  { target: './main/krb', from: './main', except: ['./krb'], message: 'main/krb is pure codecs: it depends on nothing else of the engine.' },
  cliZone(),
];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'coverage/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
    rules: {
      // Our templates are formatted by hand; these stylistic rules only add noise.
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  },
  { files: ['renderer/**'], languageOptions: { globals: globals.browser } },
  { files: ['main/**', 'electron/**', 'test/**', 'scripts/**', 'bin/**', '*.config.*'], languageOptions: { globals: globals.node } },

  // ---- Layering --------------------------------------------------------------------------
  {
    plugins: { kbench: layering },
    rules: {
      'kbench/restricted-paths': [
        'error',
        {
          basePath: import.meta.dirname,
          zones: layeringZones(),
        },
      ],
    },
  },
  {
    files: ['main/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'main/ never imports electron: put runtime-specific code in electron/.' }],
          patterns: [{ group: ['electron/*'], message: 'main/ never imports electron.' }],
        },
      ],
    },
  },
  {
    files: ['main/krb/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'main/ never imports electron.' },
            ...nodeBuiltinsExceptCrypto.map((name) => ({ name, message: 'main/krb does no I/O: only node:crypto and node:buffer.' })),
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer is sandboxed: use the Bench API (window.bench).' }],
          patterns: [
            { group: ['**/main/**', '!**/main/api', '!**/main/api/**'], message: 'The renderer may import from main/ only main/api.' },
            { group: ['@api', '@api/**', '**/main/api', '**/main/api/**'], allowTypeImports: true, message: 'The renderer imports only types from main/api (use "import type").' },
            { group: ['node:*', ...builtinModules], message: 'The renderer runs in a browser: no Node modules.' },
          ],
        },
      ],
    },
  },
);
