/**
 * Keytabs written by the real MIT tools (ktutil offline, kadmin.local in a lab realm) against
 * `kbench keytab`: klist -kteK parity, byte-exact round trips, password checks, and keys we
 * write accepted by the real KDC. Every expected value comes from running the MIT tools now.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../main/cli';
import { parseKeytab, writeKeytab } from '../../main/krb/keytab';
import { MitRealm, REALM_ENCTYPES } from '../../main/lab/mit/realm';
import { runKbench } from '../helpers/cli';

const exec = promisify(execFile);

/** klist prints local time; a half-hour zone proves we convert minutes too, not just hours. */
const KLIST_TZ = 'Asia/Kolkata';

interface KlistEntry {
  kvno: number;
  timestamp: string;
  principal: string;
  enctype: string;
  key: string;
}

/** Runs `klist -kteK FILE` and parses its table. */
async function klist(file: string): Promise<KlistEntry[]> {
  const { stdout } = await exec('klist', ['-kteK', file], { env: { ...process.env, TZ: KLIST_TZ, LC_ALL: 'C' }, timeout: 10_000 });
  const rows = stdout.split('\n').slice(3).filter((line) => line.trim() !== '');
  return rows.map((line) => {
    const m = /^\s*(\d+) (\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d) (.+) \((\S+)\)\s+\(0x([0-9a-f]*)\)\s*$/.exec(line);
    if (!m) throw new Error(`unexpected klist line: ${line}`);
    return { kvno: Number(m[1]), timestamp: m[2]!, principal: m[3]!, enctype: m[4]!.replace(/^DEPRECATED:/, ''), key: m[5]! };
  });
}

/** Our ISO-8601 UTC timestamp the way klist prints it in KLIST_TZ under LC_ALL=C: MM/DD/YY HH:MM:SS. */
function asKlistTime(iso: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: KLIST_TZ,
    year: '2-digit',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part('month')}/${part('day')}/${part('year')} ${part('hour')}:${part('minute')}:${part('second')}`;
}

interface ShownEntry {
  principal: string;
  kvno: number;
  timestamp: string;
  enctype: string;
  enctypeId: number;
  key?: string;
}

async function show(file: string, keys = true): Promise<{ version: number; entries: ShownEntry[] }> {
  const result = await runKbench(['keytab', 'show', file, '--json', ...(keys ? ['--keys'] : [])]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as { version: number; entries: ShownEntry[] };
}

/** kbench keytab show --keys --json and klist -kteK agree on every entry, in order. */
async function expectKlistParity(file: string): Promise<KlistEntry[]> {
  const [ours, theirs] = await Promise.all([show(file), klist(file)]);
  expect(ours.version).toBe(0x502);
  expect(theirs.length).toBeGreaterThan(0);
  expect(ours.entries.map((e) => ({ kvno: e.kvno, timestamp: asKlistTime(e.timestamp), principal: e.principal, enctype: e.enctype, key: e.key }))).toEqual(theirs);
  return theirs;
}

/**
 * Drives ktutil (no KDC involved) like expect: a line is written only once ktutil waits for it,
 * because its password and key prompts read stdin directly and would swallow lines sent ahead.
 * Waiting means the output since the last line ends in "ktutil:  " or "Password for …: ", or
 * in the echo of an `addent -key` line (its "Key for … (hex):" prompt is not flushed until the
 * key has been read).
 */
async function ktutil(lines: string[]): Promise<void> {
  const child = spawn('ktutil', [], { env: { ...process.env, KRB5_CONFIG: '/dev/null' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let sinceLastLine = '';
  let notify = () => {};
  const onData = (d: Buffer) => {
    output += d.toString();
    sinceLastLine += d.toString();
    notify();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  void exited.then(() => notify());
  const waiting = () => /(ktutil: {2}|Password for \S+: |addent -key [^\n]*\n)$/.test(sinceLastLine);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    for (const line of lines) {
      while (!waiting()) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`ktutil ended before reading "${line}":\n${output}`);
        await new Promise<void>((resolve) => (notify = resolve));
      }
      sinceLastLine = '';
      child.stdin.write(`${line}\n`);
    }
    child.stdin.end();
    expect(await exited, output).toBe(0);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs kbench with a stdin of our own (for --password-stdin). */
async function runKbenchWithStdin(args: string[], stdin: string, env: NodeJS.ProcessEnv = process.env) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t), env, isTty: false, stdin: Readable.from([Buffer.from(stdin)]) };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

const R = 'BENCH.TEST';
const ALICE_PW = 'alice "pw" 1';

describe('keytabs written by MIT tools', () => {
  let root: string;
  let realm: MitRealm;
  const file = (name: string) => path.join(root, name);

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kbench-keytab-mit-'));
    realm = await MitRealm.create({ dir: path.join(root, 'realm'), realm: R });
    await realm.addPrincipal('alice', { password: ALICE_PW });
    await realm.ktadd(file('alice.keytab'), 'alice', { norandkey: true });
    // svc/multi: kvno 2 with every enctype, then cpw -randkey (3), then kvno 4 with two enctypes.
    await realm.addPrincipal('svc/multi', { randkey: true });
    await realm.ktadd(file('multi.keytab'), 'svc/multi');
    await realm.changeKey('svc/multi', { randkey: true });
    await realm.ktadd(file('multi.keytab'), 'svc/multi', { enctypes: ['aes256-cts-hmac-sha384-192', 'arcfour-hmac'] });
    await realm.start();
  });

  afterAll(async () => {
    await realm?.destroy();
    await rm(root, { recursive: true, force: true });
  });

  it('reads ktutil output (offline, password and hex keys) like klist -kteK, byte-exact round trip', async () => {
    const kt = file('ktutil.keytab');
    const lines: string[] = [];
    for (const enctype of REALM_ENCTYPES) lines.push(`addent -password -p bob@${R} -k 1 -e ${enctype}`, 'bob secret');
    lines.push(`addent -key -p HTTP/web.bench.test@${R} -k 300 -e aes128-cts-hmac-sha1-96`, '00112233445566778899aabbccddeeff', `wkt ${kt}`, 'quit');
    await ktutil(lines);
    const entries = await expectKlistParity(kt);
    expect(entries.map((e) => e.enctype)).toEqual([...REALM_ENCTYPES, 'aes128-cts-hmac-sha1-96']);
    expect(entries.at(-1)!.kvno).toBe(300);
    const bytes = await readFile(kt);
    expect(writeKeytab(parseKeytab(bytes).keytab).equals(bytes)).toBe(true);

    // Our string-to-key agrees with MIT's for every enctype; the hex-key entry does not match.
    const check = await runKbench(['keytab', 'check', kt, '--password', 'bob secret', '--json']);
    expect(check.code).toBe(0);
    expect((JSON.parse(check.stdout) as { entries: { match: boolean }[] }).entries.map((e) => e.match)).toEqual([true, true, true, true, true, false]);
  });

  it('reads kadmin ktadd keytabs with several kvnos and enctypes like klist -kteK, byte-exact round trip', async () => {
    const entries = await expectKlistParity(file('multi.keytab'));
    expect(entries.map((e) => `${e.kvno} ${e.enctype}`)).toEqual([
      ...REALM_ENCTYPES.map((e) => `2 ${e}`),
      '4 aes256-cts-hmac-sha384-192',
      '4 arcfour-hmac',
    ]);
    for (const name of ['multi.keytab', 'alice.keytab']) {
      const bytes = await readFile(file(name));
      expect(writeKeytab(parseKeytab(bytes).keytab).equals(bytes), name).toBe(true);
    }
  });

  it('reads a keytab with a hole left by kadmin ktremove', async () => {
    const kt = file('holes.keytab');
    await realm.ktadd(kt, 'alice', { norandkey: true });
    await realm.ktadd(kt, 'svc/multi', { norandkey: true });
    await realm.kadmin(`ktremove -k ${kt} alice all`);
    const { tree } = parseKeytab(await readFile(kt));
    expect(tree.children!.filter((c) => c.name === 'hole')).toHaveLength(REALM_ENCTYPES.length);
    const entries = await expectKlistParity(kt);
    expect(entries.every((e) => e.principal === `svc/multi@${R}`)).toBe(true);
  });

  it('checks passwords against -norandkey keys of every enctype (JSON contract, exit codes)', async () => {
    const kt = file('alice.keytab');
    await expectKlistParity(kt);
    const right = await runKbench(['keytab', 'check', kt, '--password', ALICE_PW, '--json']);
    expect(right.code).toBe(0);
    const parsed = JSON.parse(right.stdout) as { entries: Record<string, unknown>[] };
    expect(parsed.entries).toEqual(
      // Salted keys name their salt (MIT's default here); RC4 takes none.
      REALM_ENCTYPES.map((enctype) => ({
        principal: `alice@${R}`,
        kvno: 1,
        enctype,
        enctypeId: expect.any(Number),
        match: true,
        ...(enctype === 'arcfour-hmac' ? {} : { salt: { used: `${R}alice`, kind: 'mit' } }),
      })),
    );
    const wrong = await runKbench(['keytab', 'check', kt, '--password', 'not it', '--json']);
    expect(wrong.code).toBe(1);
    expect((JSON.parse(wrong.stdout) as { entries: { match: boolean }[] }).entries.every((e) => e.match === false)).toBe(true);

    // The password need not be on the command line.
    expect((await runKbench(['keytab', 'check', kt], { ...process.env, KBENCH_PASSWORD: ALICE_PW })).code).toBe(0);
    expect((await runKbench(['keytab', 'check', kt], { ...process.env, KBENCH_PASSWORD: 'nope' })).code).toBe(1);
    const piped = await runKbenchWithStdin(['keytab', 'check', kt, '--password-stdin'], `${ALICE_PW}\n`);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toMatch(/the password matches 5 of 5 entries/);
  });

  it('writes password keys the real KDC accepts (kinit -kt), one principal per enctype', async () => {
    for (const enctype of REALM_ENCTYPES) {
      const name = `user-${enctype}`;
      await realm.addPrincipal(name, { password: `pw for ${enctype}` }, { enctypes: [enctype] });
      const kt = file(`${name}.keytab`);
      const added = await runKbench(['keytab', 'add', kt, '--principal', `${name}@${R}`, '--password', `pw for ${enctype}`, '--enctypes', enctype]);
      expect(added.code, added.stderr).toBe(0);
      const ccache = await realm.kinit(name, { keytab: kt }, { ccache: file(`${name}.ccache`) });
      const { stdout } = await exec('klist', ['-e', '-c', `FILE:${ccache}`], { env: realm.env(), timeout: 10_000 });
      expect(stdout).toContain(`Default principal: ${name}@${R}`);

      // Control: a key from the wrong password is refused, so the check above is not vacuous.
      const wrong = file(`${name}.wrong.keytab`);
      await runKbench(['keytab', 'add', wrong, '--principal', `${name}@${R}`, '--password', 'wrong', '--enctypes', enctype]);
      await expect(realm.kinit(name, { keytab: wrong })).rejects.toThrow(/Password incorrect|Preauthentication failed|Decrypt integrity check failed/);
    }
  });

  it('keytab add uses the default enctypes and kvno 1, replaces its own slot, and klist agrees', async () => {
    const kt = file('added.keytab');
    expect((await runKbench(['keytab', 'add', kt, '--principal', `carol@${R}`, '--password', 'c'])).code).toBe(0);
    expect((await runKbench(['keytab', 'add', kt, '--principal', `svc/x@${R}`, '--random', '--kvno', '7', '--enctypes', 'aes256-sha2,rc4'])).code).toBe(0);
    const again = await runKbench(['keytab', 'add', kt, '--principal', `carol@${R}`, '--password', 'c2', '--enctypes', 'aes256-cts-hmac-sha1-96', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ replaced: 1, added: [{ principal: `carol@${R}`, kvno: 1, enctype: 'aes256-cts-hmac-sha1-96' }] });
    const entries = await expectKlistParity(kt);
    expect(entries.map((e) => `${e.principal} ${e.kvno} ${e.enctype}`)).toEqual([
      `carol@${R} 1 aes128-cts-hmac-sha1-96`,
      `svc/x@${R} 7 aes256-cts-hmac-sha384-192`,
      `svc/x@${R} 7 arcfour-hmac`,
      `carol@${R} 1 aes256-cts-hmac-sha1-96`,
    ]);
    expect(await readdir(root)).not.toContainEqual(expect.stringMatching(/\.tmp$/));
  });

  it('keytab remove and merge give what klist then shows', async () => {
    const kt = file('multi-copy.keytab');
    await writeFile(kt, await readFile(file('multi.keytab')));
    const before = await klist(kt);

    const one = await runKbench(['keytab', 'remove', kt, '--principal', `svc/multi@${R}`, '--kvno', '2', '--enctype', 'arcfour-hmac']);
    expect(one.code, one.stderr).toBe(0);
    expect(await klist(kt)).toEqual(before.filter((e) => !(e.kvno === 2 && e.enctype === 'arcfour-hmac')));
    const allOld = await runKbench(['keytab', 'remove', kt, '--principal', 'svc/multi', '--kvno', '2', '--json']);
    expect(JSON.parse(allOld.stdout)).toMatchObject({ remaining: 2 });
    expect(await klist(kt)).toEqual(before.filter((e) => e.kvno === 4));
    const none = await runKbench(['keytab', 'remove', kt, '--principal', `nobody@${R}`]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no entry .* matches nobody@/);

    // merge: alice's keytab, then one with alice kvno 1 aes256 under another key → the later key wins.
    const other = file('alice-other.keytab');
    await runKbench(['keytab', 'add', other, '--principal', `alice@${R}`, '--password', 'other', '--enctypes', 'aes256-cts-hmac-sha1-96']);
    const out = file('merged.keytab');
    const merged = await runKbench(['keytab', 'merge', out, file('alice.keytab'), other, kt, '--json']);
    expect(merged.code, merged.stderr).toBe(0);
    expect(JSON.parse(merged.stdout)).toMatchObject({ entries: REALM_ENCTYPES.length + 2, replaced: 1 });
    const [alice, otherEntries, rest, result] = await Promise.all([klist(file('alice.keytab')), klist(other), klist(kt), klist(out)]);
    expect(result).toEqual([otherEntries[0], ...alice.slice(1), ...rest]);
    await expectKlistParity(out);

    // An OUT that is not a keytab stays as it was unless --force; what is written is 0600.
    const script = file('deploy.sh');
    await writeFile(script, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const refused = await runKbench(['keytab', 'merge', script, other]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`kbench: ${script} exists and is not a keytab (17 bytes starting "#!/bin/sh"): not replaced. Save somewhere else, or confirm that it may be replaced (--force).\n`);
    expect(await readFile(script, 'utf8')).toBe('#!/bin/sh\nexit 0\n');
    expect((await runKbench(['keytab', 'merge', script, other, '--force'])).code).toBe(0);
    expect(await klist(script)).toEqual(otherEntries);
    expect((await stat(script)).mode & 0o777).toBe(0o600);
  });

  it('reports malformed keytabs in one line naming field and byte offset, with exit code 1', async () => {
    const bytes = await readFile(file('alice.keytab'));
    const cut = file('truncated.keytab');
    await writeFile(cut, bytes.subarray(0, 40));
    const shown = await runKbench(['keytab', 'show', cut]);
    expect(shown.code).toBe(1);
    expect(shown.stderr).toMatch(/^kbench: .*truncated\.keytab: keytab\.entry\[0\]\.size at byte 2: entry size \d+ runs past the end of the input \(34 bytes remain\)\n$/);
    const bad = Buffer.from(bytes);
    // version, size, num_components, realm, component, name_type, timestamp, vno8, enctype → keyblock.length
    bad.writeUInt16BE(0xffff, 2 + 4 + 2 + (2 + R.length) + (2 + 'alice'.length) + 4 + 4 + 1 + 2);
    await writeFile(cut, bad);
    const checked = await runKbench(['keytab', 'check', cut, '--password', 'x']);
    expect(checked.code).toBe(1);
    expect(checked.stderr).toMatch(/keytab\.entry\[0\]\.keyblock\.key at byte \d+: needs 65535 byte\(s\)/);
    expect(checked.stderr.trim().split('\n')).toHaveLength(1);
    const missing = await runKbench(['keytab', 'show', file('absent.keytab')]);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringMatching(/absent\.keytab: no such file/) });
  });

  it('prints a klist-like table with keys hidden unless --keys', async () => {
    const kt = file('alice.keytab');
    const hidden = await runKbench(['keytab', 'show', kt]);
    expect(hidden.code).toBe(0);
    expect(hidden.stdout).toMatch(/^KVNO Timestamp {11}Principal/m);
    expect(hidden.stdout).toMatch(new RegExp(`^ {3}1 \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d alice@${R} +aes256-cts-hmac-sha1-96$`, 'm'));
    const keys = (await klist(kt)).map((e) => e.key);
    for (const key of keys) expect(hidden.stdout).not.toContain(key);
    const revealed = await runKbench(['keytab', 'show', kt, '--keys']);
    for (const key of keys) expect(revealed.stdout).toContain(`0x${key}`);
    expect((await show(kt, false)).entries.every((e) => !('key' in e))).toBe(true);
  });

  it('exits 2 on usage errors', async () => {
    const kt = file('alice.keytab');
    const cases = [
      ['keytab'],
      ['keytab', 'bogus'],
      ['keytab', 'show'],
      ['keytab', 'check', kt],
      ['keytab', 'check', kt, '--password', 'a', '--password-stdin'],
      ['keytab', 'add', file('n.keytab'), '--principal', 'nouser', '--password', 'x'],
      ['keytab', 'add', file('n.keytab'), '--principal', `u@${R}`],
      ['keytab', 'add', file('n.keytab'), '--principal', `u@${R}`, '--random', '--password', 'x'],
      ['keytab', 'add', file('n.keytab'), '--principal', `u@${R}`, '--random', '--kvno', 'x'],
      ['keytab', 'add', file('n.keytab'), '--principal', `u@${R}`, '--random', '--enctypes', 'des-cbc-md4'],
      ['keytab', 'add', file('n.keytab'), '--principal', `u@${R}`, '--random', '--enctypes', 'nonsense'],
      ['keytab', 'merge', file('n.keytab')],
      ['keytab', 'show', 'MEMORY:x'],
    ];
    for (const args of cases) {
      const result = await runKbench(args, { ...process.env, KBENCH_PASSWORD: '' });
      expect(result.code, args.join(' ')).toBe(2);
    }
    const help = await runKbench(['help', 'keytab', 'check']);
    expect(help.stdout).toContain('KBENCH_PASSWORD');
    expect(help.stdout).toContain('--password-stdin');
  });
});
