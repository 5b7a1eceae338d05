import { runCli } from '../../main/cli';

/** Runs `kbench ARGS` in-process and captures what it prints. */
export async function runKbench(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env,
    isTty: false,
  });
  return { code, stdout, stderr };
}
