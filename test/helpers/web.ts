import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface RunningWeb {
  url: string;
  origin: string;
  token: string;
  port: number;
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts the real `kbench web --port 0` (the built CLI) and waits for the URL it prints. */
export function startKbenchWeb(extraArgs: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<RunningWeb> {
  // kbench web brings the lab realm up by default; tests that did not give it a data dir of their
  // own must not start a KDC in the user's data directory.
  const lab = env.KBENCH_DATA_DIR && env.KBENCH_DATA_DIR !== process.env.KBENCH_DATA_DIR ? [] : ['--no-lab'];
  const child = spawn(process.execPath, [path.resolve('bin/kbench.js'), 'web', '--port', '0', ...lab, ...extraArgs], {
    env: { ...env, DISPLAY: '', WAYLAND_DISPLAY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kbench web printed no URL within 20 s:\n${output}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: match[0],
        origin: `http://127.0.0.1:${match[1]}`,
        port: Number(match[1]),
        token: match[2]!,
        child,
        output: () => output,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done(child.exitCode);
            child.once('exit', (code) => done(code));
            child.kill('SIGINT');
          }),
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kbench web exited with ${code}:\n${output}`));
    });
  });
}
