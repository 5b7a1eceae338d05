/**
 * A real SPNEGO server for tests: Debian's apache2 with mod_auth_gssapi, on a loopback port, with
 * its own config file and ServerRoot in a temp dir (nothing under /etc is read or written).
 *
 *   GET /secure/ok.txt  requires a valid user (Negotiate, krb5 only; Basic checked against the KDC
 *                       when `basic` is asked for); the reply names the user in `X-User`.
 *   GET /open.txt       no authentication.
 *
 * Started as root, Apache refuses to serve as root and switches its children to `nobody`: the
 * keytab, krb5.conf and replay cache dir are copied/created world-readable inside the temp dir
 * (a test keytab for a throwaway realm, never a real one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestRealm } from './lab';

export const APACHE_BINARY = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';
const GSSAPI_MODULE = path.join(MODULES, 'mod_auth_gssapi.so');

/** Why the Apache tests cannot run here (the Debian package to install), or undefined when they can. */
export function apacheMissing(): string | undefined {
  if (!existsSync(APACHE_BINARY)) return 'apache2 is not installed (apt-get install apache2 libapache2-mod-auth-gssapi)';
  if (!existsSync(GSSAPI_MODULE)) return 'mod_auth_gssapi is not installed (apt-get install libapache2-mod-auth-gssapi)';
  return undefined;
}

/** For `describe.skipIf(skipUnlessApache)`: true (and says why on stderr) when apache2 or the module is missing. */
export const skipUnlessApache: boolean = (() => {
  const missing = apacheMissing();
  if (missing) process.stderr.write(`skipping Apache SPNEGO tests: ${missing}\n`);
  return missing !== undefined;
})();

export interface ApacheSpnegoOptions {
  /** Service principal (default HTTP/localhost), created in the realm and exported to the server's keytab. */
  service?: string;
  /** Also accept Basic credentials checked against the KDC (GssapiBasicAuth On). */
  basic?: boolean;
  /** Milliseconds to wait for the port to answer (default 5000). */
  startTimeoutMs?: number;
  /** GssapiAllowedMech values (default ["krb5"]); "ntlmssp" needs gss-ntlmssp and `env` below. */
  allowedMechs?: string[];
  /** Extra environment for Apache (GSS_MECH_CONFIG, NTLM_USER_FILE …); files it names must be world-readable. */
  env?: Record<string, string>;
  /** GssapiConnectionBound On: multi-round mechanisms (NTLM) keep their context on the connection. */
  connectionBound?: boolean;
  /** false: no GssapiCredStore line (the mechanisms' default acceptor credentials, KRB5_KTNAME for krb5). */
  credStore?: boolean;
}

export interface ApacheSpnego {
  /** http://localhost:PORT — the host name matches the HTTP/localhost service principal. */
  url: string;
  port: number;
  /** ServerRoot: httpd.conf, error.log, the keytab. */
  dir: string;
  /** The error log so far (mod_auth_gssapi says why it refused a token here). */
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function config(dir: string, port: number, keytab: string, basic: boolean, options: ApacheSpnegoOptions = {}): string {
  const runAs = process.getuid?.() === 0 ? ['User nobody', 'Group nogroup'] : [];
  return [
    `ServerRoot "${dir}"`,
    `Listen 127.0.0.1:${port}`,
    'ServerName localhost',
    `PidFile "${dir}/httpd.pid"`,
    `DefaultRuntimeDir "${dir}/run"`,
    `Mutex file:${dir}/run default`,
    `ErrorLog "${dir}/error.log"`,
    'LogLevel warn auth_gssapi:debug',
    ...runAs,
    `LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so`,
    `LoadModule authn_core_module ${MODULES}/mod_authn_core.so`,
    `LoadModule authz_core_module ${MODULES}/mod_authz_core.so`,
    `LoadModule authz_user_module ${MODULES}/mod_authz_user.so`,
    `LoadModule headers_module ${MODULES}/mod_headers.so`,
    `LoadModule auth_gssapi_module ${GSSAPI_MODULE}`,
    // Few processes and threads: a test server, started and stopped in well under a second.
    'StartServers 1',
    'ServerLimit 1',
    'ThreadsPerChild 4',
    'MaxRequestWorkers 4',
    'KeepAlive On',
    `DocumentRoot "${dir}/htdocs"`,
    `<Directory "${dir}/htdocs">`,
    '  Require all granted',
    '</Directory>',
    '<Location "/secure">',
    '  AuthType GSSAPI',
    '  AuthName "Kerberos Bench test"',
    ...(options.credStore === false ? [] : [`  GssapiCredStore keytab:${keytab}`]),
    ...(options.allowedMechs ?? ['krb5']).map((mech) => `  GssapiAllowedMech ${mech}`),
    // A fresh context per request: each curl call is its own SPNEGO conversation.
    `  GssapiConnectionBound ${options.connectionBound ? 'On' : 'Off'}`,
    ...(basic ? ['  GssapiBasicAuth On', '  GssapiBasicAuthMech krb5'] : []),
    '  Require valid-user',
    '  Header always set X-User "expr=%{REMOTE_USER}"',
    '</Location>',
    '',
  ].join('\n');
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number, log: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`apache2 exited with ${child.exitCode}: ${await log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`apache2 did not listen on 127.0.0.1:${port} within ${timeoutMs} ms: ${await log()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts Apache with mod_auth_gssapi for `lab`'s realm; the service principal is added to the realm. */
export async function startApacheSpnego(lab: TestRealm, options: ApacheSpnegoOptions = {}): Promise<ApacheSpnego> {
  const missing = apacheMissing();
  if (missing) throw new Error(missing);
  const service = options.service ?? 'HTTP/localhost';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-apache-'));
  // The children run as nobody when we are root: they must reach the keytab and krb5.conf.
  await chmod(dir, 0o755);
  await mkdir(path.join(dir, 'run'), { mode: 0o777 });
  await mkdir(path.join(dir, 'rcache'), { mode: 0o777 });
  await chmod(path.join(dir, 'run'), 0o777);
  await chmod(path.join(dir, 'rcache'), 0o777);
  await mkdir(path.join(dir, 'htdocs', 'secure'), { recursive: true });
  await writeFile(path.join(dir, 'htdocs', 'secure', 'ok.txt'), 'authenticated\n');
  await writeFile(path.join(dir, 'htdocs', 'open.txt'), 'open\n');
  const existing = await lab.run('kadmin.local', ['-r', lab.name, '-q', `getprinc ${service}`]).catch(() => '');
  if (!existing.includes(`Principal: ${service}@`)) await lab.realm.addPrincipal(service, { randkey: true });
  const keytab = path.join(dir, 'http.keytab');
  await lab.realm.ktadd(keytab, service);
  await chmod(keytab, 0o644);
  const krb5Conf = path.join(dir, 'krb5.conf');
  await copyFile(lab.env.KRB5_CONFIG!, krb5Conf);
  await chmod(krb5Conf, 0o644);
  const port = await freePort();
  const confFile = path.join(dir, 'httpd.conf');
  await writeFile(confFile, config(dir, port, keytab, options.basic ?? false, options));
  const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', KRB5_CONFIG: krb5Conf, KRB5RCACHEDIR: path.join(dir, 'rcache'), KRB5_KTNAME: `FILE:${keytab}`, ...options.env };
  const child = spawn(APACHE_BINARY, ['-f', confFile, '-DFOREGROUND'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const errorLog = async () => `${output}${await readFile(path.join(dir, 'error.log'), 'utf8').catch(() => '')}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 3000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        // SIGTERM: the parent stops its children and exits (graceful-stop would wait for clients).
        child.kill('SIGTERM');
      });
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, options.startTimeoutMs ?? 5000, errorLog);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `http://localhost:${port}`, port, dir, errorLog, stop };
}
