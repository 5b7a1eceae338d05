import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface BindingStatus {
  loads: boolean;
  /** Version of the `kerberos` npm package. */
  version?: string;
  /** The GSSAPI library the binding actually opened (from the probe's memory map). */
  library?: string;
  /** What went wrong, with the real cause rather than the binding's misleading fallback message. */
  error?: string;
  fix?: string;
}

/**
 * Runs inside a throwaway Node process: requires the binding, makes one GSSAPI call (which is
 * what dlopens libgssapi_krb5) and reports. When `require('kerberos')` fails, the package's
 * loader masks the real error behind "Cannot find module ../build/Debug/kerberos.node", so the
 * probe loads build/Release/kerberos.node itself to get the true cause.
 */
const PROBE = String.raw`
const fs = require('node:fs');
const path = require('node:path');
const dir = process.argv[1];
const report = (r) => { process.stdout.write(JSON.stringify(r)); process.exit(0); };
let kerberos;
try {
  kerberos = require(dir);
} catch (error) {
  let cause = error.message;
  try { require(path.join(dir, 'build', 'Release', 'kerberos.node')); } catch (inner) { cause = inner.message; }
  report({ loads: false, error: cause.split('\n')[0] });
}
kerberos.initializeClient('host@localhost', {}).then(
  () => {
    let library;
    try {
      library = fs.readFileSync('/proc/self/maps', 'utf8').split('\n')
        .map((l) => l.split(/\s+/).pop()).find((p) => p && p.includes('libgssapi_krb5'));
    } catch {}
    report({ loads: true, version: kerberos.version, library });
  },
  (error) => report({ loads: false, version: kerberos.version, error: 'GSSAPI call failed: ' + error.message }),
);
`;

function kerberosPackageDir(): string | null {
  try {
    return path.dirname(createRequire(import.meta.url).resolve('kerberos/package.json'));
  } catch {
    return null;
  }
}

function fixFor(error: string): string {
  if (/libgssapi_krb5|libkrb5|libcom_err|Opening library/i.test(error)) {
    return 'Install the MIT Kerberos runtime: sudo apt-get install -y libgssapi-krb5-2 libkrb5-3';
  }
  if (/Cannot find module .*kerberos\.node/.test(error)) {
    return 'Build the binding: sudo apt-get install -y libkrb5-dev python3 make g++ && npm rebuild kerberos';
  }
  if (/NODE_MODULE_VERSION|napi/i.test(error)) return 'Rebuild the binding for this runtime: npm rebuild kerberos';
  return 'Reinstall dependencies: npm ci (needs libkrb5-dev to build the binding)';
}

/**
 * Loads the binding in a child process, so a crash or a hang never reaches the caller.
 * `packageDir` points at another copy of the kerberos package (tests use a broken one).
 */
export function probeKerberosBinding(options: { packageDir?: string; timeoutMs?: number } = {}): Promise<BindingStatus> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const dir = options.packageDir ?? kerberosPackageDir();
  if (!dir) {
    return Promise.resolve({ loads: false, error: 'the kerberos npm package is not installed', fix: 'npm ci' });
  }
  return new Promise((resolve) => {
    // In Electron, process.execPath is the Electron binary: ELECTRON_RUN_AS_NODE makes it plain Node.
    const child = spawn(process.execPath, ['-e', PROBE, dir], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ loads: false, error: `could not start the probe: ${error.message}`, fix: 'check that Node runs' });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        const status = JSON.parse(stdout) as BindingStatus;
        resolve(status.loads ? status : { ...status, fix: fixFor(status.error ?? '') });
      } catch {
        // stderr carries the binding's own "Unable to look up symbol … in libgssapi_krb5.so.2" lines.
        const why = signal ? `the probe died with ${signal}` : `the probe exited with code ${code}`;
        const error = `${why}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`;
        resolve({ loads: false, error, fix: fixFor(error) });
      }
    });
  });
}
