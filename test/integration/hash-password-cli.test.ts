/**
 * `kbench hash-password` through runCli and the engine's `chain` service (dispatch + zod), the
 * hashes checked against Python's hashlib.pbkdf2_hmac in a separate process. In-process, so it
 * needs no build; --password-stdin gets a stream of its own.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../main/cli';

function pythonHash(password: string, saltB64: string, iterations: number): string {
  const script = [
    'import base64, hashlib, sys',
    'salt = base64.b64decode(sys.argv[2] + "=" * (-len(sys.argv[2]) % 4)); n = int(sys.argv[3])',
    'b = lambda x: base64.b64encode(x).decode().rstrip("=")',
    'print("$pbkdf2-sha512$i=%d,l=64$%s$%s" % (n, b(salt), b(hashlib.pbkdf2_hmac("sha512", sys.argv[1].encode(), salt, n, 64))))',
  ].join('\n');
  return execFileSync('python3', ['-c', script, password, saltB64, String(iterations)], { encoding: 'utf8' }).trim();
}

describe('kbench hash-password', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-hash-'));
    env = { ...process.env, KBENCH_DATA_DIR: path.join(dir, 'data'), NO_COLOR: '1' };
    delete env.KBENCH_PASSWORD;
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function kbench(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const io = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t), env, isTty: false, ...(stdin === undefined ? {} : { stdin: Readable.from([stdin]) }) };
    const code = await runCli(args, io);
    return { code, stdout, stderr };
  }

  it('prints one line equal to what Python computes for the same salt and iterations', async () => {
    const run = await kbench(['hash-password', '--password', 'password1', '--salt', 'c2FsdHNhbHRzYWx0c2FsdA', '--iterations', '1000']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`${pythonHash('password1', 'c2FsdHNhbHRzYWx0c2FsdA', 1000)}\n`);
  });

  it('defaults: random 16-byte salt, 210000 iterations; --json prints { "hash": … }', async () => {
    const run = await kbench(['hash-password', '--password', 'pw', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const { hash } = JSON.parse(run.stdout) as { hash: string };
    const m = /^\$pbkdf2-sha512\$i=210000,l=64\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{86})$/.exec(hash);
    expect(m, hash).not.toBeNull();
    expect(Buffer.from(m![1]!, 'base64')).toHaveLength(16);
    expect(hash).toBe(pythonHash('pw', m![1]!, 210_000));
  });

  it('--password-stdin reads the password (one trailing newline dropped)', async () => {
    const run = await kbench(['hash-password', '--password-stdin', '--salt', 'AAAAAAAAAAAAAAAAAAAAAA', '--iterations', '10'], 'from stdin\n');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(pythonHash('from stdin', 'AAAAAAAAAAAAAAAAAAAAAA', 10));
  });

  it('--verify: exit 0 when a Python hash matches, 1 with the reason on stderr when not', async () => {
    const hash = pythonHash('s3cret', 'MTIzNDU2Nzg5MDEyMzQ1Ng', 2000);
    const good = await kbench(['hash-password', '--verify', hash, '--password', 's3cret']);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/password matches/);
    const bad = await kbench(['hash-password', '--verify', hash, '--password', 'wrong']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/password does not match the hash \(PBKDF2-SHA512, 2000 iterations\)/);
    const json = await kbench(['hash-password', '--verify', hash, '--password', 's3cret', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ matches: true });
  });

  it('a malformed hash to --verify: exit 1 naming the part and character', async () => {
    const run = await kbench(['hash-password', '--verify', '$pbkdf2-sha512$i=10,l=64$AA*A$AAAA', '--password', 'x']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/password hash salt \(at character 27\): "\*" is not a base64 character/);
  });

  it('usage errors exit 2: no password, bad --iterations; a bad --salt is refused with its reason', async () => {
    expect((await kbench(['hash-password'])).code).toBe(2);
    expect((await kbench(['hash-password', '--password', 'x', '--iterations', 'many'])).code).toBe(2);
    expect((await kbench(['hash-password', '--password', 'x', '--password-stdin'], 'y')).code).toBe(2);
    const salt = await kbench(['hash-password', '--password', 'x', '--salt', 'no spaces']);
    expect(salt.code).toBe(1);
    expect(salt.stderr).toMatch(/password hash salt \(at character 2\): " " is not a base64 character/);
  });
});
