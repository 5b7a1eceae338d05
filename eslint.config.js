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
          zones: [
            { target: './main', from: './electron', message: 'main/ is plain Node: it must not depend on the Electron shell.' },
            { target: './main', from: './renderer', message: 'main/ must not import renderer code.' },
            { target: './renderer', from: './main', except: ['./api'], message: 'The renderer reaches the engine only through main/api.' },
            { target: './renderer', from: './electron', message: 'The renderer talks to Electron only through the preload bridge (window.bench).' },
            { target: './main/krb', from: './main', except: ['./krb'], message: 'main/krb is pure codecs: it depends on nothing else of the engine.' },
          ],
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
