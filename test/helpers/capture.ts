import { spawn, type ChildProcess } from 'node:child_process';

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
