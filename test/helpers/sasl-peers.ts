import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { TestRealm } from './lab';

export interface PeerCommand {
  command: string;
  args: string[];
}

export interface PeerRun {
  server: { code: number | null; output: string };
  client: { code: number | null; output: string };
  /** The "S:"/"C:" lines in the order they crossed: a transcript for `kbench sasl decode`. */
  transcript: string[];
  /** Set when the peers had to be killed: with both outputs, to say where they stopped. */
  timedOut?: string;
}

/** The Cyrus sample programs buffer stdout when piped; stdbuf makes them line-by-line. */
export const cyrusServer = (...args: string[]): PeerCommand => ({ command: 'stdbuf', args: ['-o0', 'sasl-sample-server', '-s', 'mqtt', '-d', 'localhost', '-m', 'GSSAPI', ...args] });
export const cyrusClient = (...args: string[]): PeerCommand => ({ command: 'stdbuf', args: ['-o0', 'sasl-sample-client', '-s', 'mqtt', '-n', 'localhost', '-m', 'GSSAPI', '-u', 'alice', ...args] });

/** `kbench sasl server|client` with the lab as a custom profile (paths, no lab service needed). */
export function kbenchSasl(lab: TestRealm, role: 'server' | 'client', ...args: string[]): PeerCommand {
  const profile = ['--krb5-config', lab.realm.paths.krb5Conf, '--ccache', lab.ccache, '--keytab', lab.serviceKeytab];
  return { command: process.execPath, args: [path.resolve('bin/kbench.js'), 'sasl', role, '--service', 'mqtt@localhost', ...profile, ...args] };
}

/**
 * Runs a SASL server and client against each other: only "S:" lines go from the server to the
 * client and only "C:" lines back (everything else is chatter), as the sample programs expect.
 */
export function runPeers(lab: TestRealm, server: PeerCommand, client: PeerCommand, timeoutMs = 30_000): Promise<PeerRun> {
  const env = { ...lab.env, KRB5RCACHEDIR: lab.realm.paths.rcacheDir };
  const start = (peer: PeerCommand) => spawn(peer.command, peer.args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const s = start(server);
  const c = start(client);
  const transcript: string[] = [];
  const outputs = { server: '', client: '' };
  const forward = (from: ChildProcess, to: ChildProcess, prefix: 'S:' | 'C:', name: 'server' | 'client') => {
    createInterface({ input: from.stdout! }).on('line', (line) => {
      outputs[name] += `${line}\n`;
      if (!line.startsWith(prefix)) return;
      transcript.push(line);
      if (to.stdin!.writable) to.stdin!.write(`${line}\n`);
    });
    from.stderr!.on('data', (chunk: Buffer) => (outputs[name] += chunk.toString()));
  };
  forward(s, c, 'S:', 'server');
  forward(c, s, 'C:', 'client');
  const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let timedOut: string | undefined;
  const timer = setTimeout(() => {
    timedOut = `peers still running after ${timeoutMs} ms\n--- server:\n${outputs.server}\n--- client:\n${outputs.client}`;
    s.kill('SIGKILL');
    c.kill('SIGKILL');
  }, timeoutMs);
  return Promise.all([exited(s), exited(c)]).then(([serverCode, clientCode]) => {
    clearTimeout(timer);
    return { server: { code: serverCode, output: outputs.server }, client: { code: clientCode, output: outputs.client }, transcript, ...(timedOut ? { timedOut } : {}) };
  });
}
