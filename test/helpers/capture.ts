import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ALICE_PASSWORD, type TestRealm } from './lab';

const exec = promisify(execFile);

/**
 * A tshark capture on the loopback interface, as the test oracle's input: start, do the real
 * exchange, stop. Needs root (or capture rights), as CI has.
 */
export class LoopbackCapture {
  private constructor(
    private readonly child: ChildProcess,
    readonly file: string,
  ) {}

  static async start(file: string, filter: string): Promise<LoopbackCapture> {
    const child = spawn('tshark', ['-i', 'lo', '-f', filter, '-w', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tshark did not start capturing within 15 s: ${log}`)), 15_000);
      child.stderr!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Capturing on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`tshark exited with ${code}: ${log}`)));
    });
    // "Capturing on" is printed just before the capture loop starts; give it a moment.
    await new Promise((r) => setTimeout(r, 300));
    return new LoopbackCapture(child, file);
  }

  async stop(): Promise<void> {
    await new Promise((r) => setTimeout(r, 300)); // let the last packets reach the capture
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGINT');
    });
  }
}

export interface CapturedExchange {
  /** The pcapng file. */
  capture: string;
  /** A keytab with krbtgt, alice and the service (current keys), for decrypting the capture. */
  keytabFile: string;
  /** Each Kerberos message in capture order, record mark removed. */
  messages: Buffer[];
}

/**
 * Records a real `kinit alice` + `kvno mqtt/localhost` against the lab KDC: AS-REQ, KRB-ERROR
 * (pre-auth required), AS-REQ with PA-ENC-TIMESTAMP, AS-REP, TGS-REQ (FAST armored), TGS-REP.
 */
export async function captureKinitKvno(lab: TestRealm): Promise<CapturedExchange> {
  const keytabFile = path.join(lab.dir, 'everything.keytab');
  // -norandkey: export the current keys, so the capture stays decryptable.
  for (const principal of [`krbtgt/${lab.name}`, 'alice', 'mqtt/localhost']) await lab.realm.ktadd(keytabFile, principal, { norandkey: true });
  const capture = path.join(lab.dir, 'kinit-kvno.pcapng');
  const tshark = await LoopbackCapture.start(capture, `tcp port ${lab.realm.port}`);
  const ccache = path.join(lab.dir, 'captured.ccache');
  await lab.realm.kinit('alice', { password: ALICE_PASSWORD }, { ccache });
  await exec('kvno', ['-c', `FILE:${ccache}`, 'mqtt/localhost'], { env: lab.env, timeout: 20_000 });
  await tshark.stop();
  const { stdout } = await exec('tshark', ['-r', capture, '-d', `tcp.port==${lab.realm.port},kerberos`, '-Y', 'kerberos', '-T', 'fields', '-e', 'tcp.payload'], {
    maxBuffer: 1 << 24,
  });
  // Kerberos over TCP: a 4-byte record mark before each message.
  const messages = stdout
    .trim()
    .split('\n')
    .map((hex) => Buffer.from(hex, 'hex').subarray(4));
  return { capture, keytabFile, messages };
}
