import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** One full GSS-API context between MIT's initiator and acceptor (the kerberos binding), as tokens. */
export interface GssConversation {
  /** Client's first token (framed AP-REQ), base64. */
  apReq: string;
  /** Acceptor's reply (AP-REP), base64. */
  apRep: string;
  /** A Wrap token the initiator made of the RFC 4752 reply [01 00 00 00] + "alice", base64. */
  clientWrap: string;
  /** What the acceptor reported. */
  username: string;
}

/**
 * The binding reads KRB5_CONFIG, KRB5CCNAME and KRB5_KTNAME from its process environment, so the
 * conversation runs in a child process with the realm's environment (FACTS.md).
 */
const SCRIPT = String.raw`
const k = require('kerberos');
(async () => {
  const client = await k.initializeClient(process.argv[1], {});
  const apReq = await client.step('');
  const server = await k.initializeServer(process.argv[1]);
  await server.step(apReq);
  const apRep = server.response;
  await client.step(apRep);
  // Four bytes: the RFC 4752 security-layer offer as a client would echo it (never '' — segfault).
  const clientWrap = await client.wrap(Buffer.from([1, 0, 0, 0]).toString('base64'), { user: 'alice' });
  process.stdout.write(JSON.stringify({ apReq, apRep, clientWrap, username: server.username }));
})().catch((e) => { process.stderr.write(String(e && e.message || e)); process.exit(1); });
`;

export async function runGssConversation(env: NodeJS.ProcessEnv, service = 'mqtt@localhost'): Promise<GssConversation> {
  const { stdout } = await exec(process.execPath, ['-e', SCRIPT, service], { env, cwd: process.cwd(), encoding: 'utf8', timeout: 20_000 });
  return JSON.parse(stdout) as GssConversation;
}

const CLIENT_SCRIPT = String.raw`
const k = require('kerberos');
k.initializeClient(process.argv[1], {}).then((c) => c.step('')).then(
  (token) => process.stdout.write(token),
  (e) => { process.stderr.write(String(e && e.message || e)); process.exit(1); },
);
`;

/** Only the initiator's first token (a framed AP-REQ, base64), from the ccache in `env`. */
export async function clientToken(env: NodeJS.ProcessEnv, service = 'mqtt@localhost'): Promise<string> {
  const { stdout } = await exec(process.execPath, ['-e', CLIENT_SCRIPT, service], { env, cwd: process.cwd(), encoding: 'utf8', timeout: 20_000 });
  return stdout;
}
