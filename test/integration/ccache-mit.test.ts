/**
 * `kbench ccache show` against klist -e -f -C on ccaches written by real MIT kinit/kvno:
 * several services and enctypes (aes-sha1, aes-sha2, arcfour), config entries, file formats 3 and 4.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CcacheReport } from '../../main/api/inspect';
import { KLIST_FLAG_LETTERS, parseCcache } from '../../main/krb/ccache';
import { identifyInput } from '../../main/krb/identify';
import { KrbDecodeError } from '../../main/krb/errors';
import { runKbench } from '../helpers/cli';
import { ALICE_PASSWORD, createTestRealm, type TestRealm } from '../helpers/lab';

const exec = promisify(execFile);

interface KlistCredential {
  start: string;
  end: string;
  server: string;
  renewTill?: string;
  flags: string;
  skey: string;
  tkt: string;
}

/** klist's "MM/DD/YY HH:MM:SS" (LC_ALL=C, TZ=UTC) → ISO-8601. */
function klistTime(text: string): string {
  const m = /^(\d{2})\/(\d{2})\/(\d{2}) (\d{2}:\d{2}:\d{2})$/.exec(text.trim());
  if (!m) throw new Error(`unexpected klist time "${text}"`);
  return `20${m[3]}-${m[1]}-${m[2]}T${m[4]}Z`;
}

function parseKlist(output: string): { defaultPrincipal: string; credentials: KlistCredential[]; config: string[] } {
  const lines = output.split('\n');
  const defaultPrincipal = /^Default principal: (.+)$/m.exec(output)![1]!;
  const credentials: KlistCredential[] = [];
  const config: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const conf = /^config: (.+)$/.exec(line);
    if (conf) {
      config.push(conf[1]!);
      continue;
    }
    const head = /^(\d{2}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2})\s+(\d{2}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2})\s+(\S+)$/.exec(line);
    if (!head) continue;
    const details = lines[i + 1]!;
    const etypes = /Etype \(skey, tkt\): ([^,]+), (\S+)/.exec(lines[i + 2]!)!;
    credentials.push({
      start: klistTime(head[1]!),
      end: klistTime(head[2]!),
      server: head[3]!,
      ...(/renew until ([\d/: ]+),/.test(details) ? { renewTill: klistTime(/renew until ([\d/: ]+),/.exec(details)![1]!) } : {}),
      flags: /Flags: (\S*)/.exec(details)?.[1] ?? '',
      skey: etypes[1]!.replace('DEPRECATED:', ''),
      tkt: etypes[2]!.replace('DEPRECATED:', ''),
    });
  }
  return { defaultPrincipal, credentials, config };
}

const letters = (flags: string[]) =>
  KLIST_FLAG_LETTERS.filter(([name]) => flags.includes(name))
    .map(([, l]) => l)
    .join('');

describe('ccache parity with klist', () => {
  let lab: TestRealm;
  const ccaches: Record<string, string> = {};

  beforeAll(async () => {
    lab = await createTestRealm();
    await lab.realm.addPrincipal('legacy/localhost', { randkey: true }, { enctypes: ['arcfour-hmac:normal'] });
    await lab.realm.addPrincipal('modern/localhost', { randkey: true }, { enctypes: ['aes256-cts-hmac-sha384-192:normal'] });
    for (const version of [4, 3, 2, 1]) {
      // A krb5.conf that differs only in ccache_type makes MIT write that file format.
      const conf = path.join(lab.dir, `krb5-v${version}.conf`);
      const base = await readFile(lab.realm.paths.krb5Conf, 'utf8');
      await writeFile(conf, base.replace('[libdefaults]', `[libdefaults]\n  ccache_type = ${version}`));
      const env = { ...lab.env, KRB5_CONFIG: conf };
      const ccache = path.join(lab.dir, `v${version}.ccache`);
      const kinit = execFile('kinit', ['-f', '-c', `FILE:${ccache}`, 'alice'], { env, timeout: 20_000 });
      kinit.stdin?.end(`${ALICE_PASSWORD}\n`);
      await new Promise((resolve, reject) => kinit.on('exit', (code) => (code === 0 ? resolve(undefined) : reject(new Error(`kinit exit ${code}`)))));
      await exec('kvno', ['-c', `FILE:${ccache}`, 'mqtt/localhost', 'legacy/localhost', 'modern/localhost'], { env, timeout: 20_000 });
      ccaches[`v${version}`] = ccache;
    }
  });
  afterAll(() => lab?.destroy());

  // Versions 1 and 2 are in host byte order: MIT writes and reads them little-endian here.
  it.each(['v4', 'v3', 'v2', 'v1'])('%s: every credential matches klist -e -f, config entries match klist -C', async (name) => {
    const file = ccaches[name]!;
    const bytes = await readFile(file);
    expect(bytes.readUInt16BE(0)).toBe(0x0500 + Number(name[1]));
    // 05 01/05 02 also start keytabs: the file is still told apart as what it is.
    expect(identifyInput(bytes)).toEqual({ kind: 'ccache', description: `a FILE credential cache (version ${name[1]})` });
    const { stdout: klistOut } = await exec('klist', ['-e', '-f', '-C', '-c', `FILE:${file}`], { env: { ...lab.env, LC_ALL: 'C', TZ: 'UTC' } });
    const klist = parseKlist(klistOut);
    const { code, stdout } = await runKbench(['ccache', 'show', file, '--json']);
    expect(code).toBe(0);
    const ours = JSON.parse(stdout) as CcacheReport;

    expect(ours.version).toBe(Number(name[1]));
    expect(ours.defaultPrincipal).toBe(klist.defaultPrincipal);
    expect(ours.credentials.map((c) => c.server)).toEqual(klist.credentials.map((c) => c.server));
    expect(ours.credentials.length).toBe(4);
    ours.credentials.forEach((c, i) => {
      const k = klist.credentials[i]!;
      expect(c.starttime).toBe(k.start);
      expect(c.endtime).toBe(k.end);
      expect(c.renewTill ?? undefined).toBe(k.renewTill);
      expect(letters(c.flags)).toBe(k.flags);
      expect(c.sessionKeyEnctype).toBe(k.skey);
      expect(c.ticketEnctype).toBe(k.tkt);
    });
    // The enctypes really vary: arcfour and aes-sha2 tickets are there.
    expect(ours.credentials.map((c) => c.ticketEnctype)).toEqual(expect.arrayContaining(['arcfour-hmac', 'aes256-cts-hmac-sha384-192']));
    // klist -C prints "key(principal) = value"; ours keeps them out of credentials.
    expect(ours.config.map((e) => `${e.key}(${e.principal}) = ${e.value}`).sort()).toEqual([...klist.config].sort());
    expect(ours.config.length).toBeGreaterThan(0);
  });

  it('reads the ticket kvno the way kvno reports it', async () => {
    const { stdout } = await exec('kvno', ['-c', `FILE:${ccaches.v4}`, 'mqtt/localhost'], { env: lab.env });
    const kvno = Number(/kvno = (\d+)/.exec(stdout)![1]);
    const { stdout: json } = await runKbench(['ccache', 'show', ccaches.v4!, '--json']);
    const ours = JSON.parse(json) as CcacheReport;
    expect(ours.credentials.find((c) => c.server === `mqtt/localhost@${lab.name}`)?.ticketKvno).toBe(kvno);
  });

  it('fails with a typed error at every truncation point, except where a whole credential ends', async () => {
    const bytes = await readFile(ccaches.v4!);
    const { tree } = parseCcache(bytes);
    // Cutting exactly after the default principal or after a credential leaves a valid, shorter ccache.
    const boundaries = new Set(tree.children!.filter((n) => n.name === 'default_principal' || n.name.startsWith('credential[')).map((n) => n.offset + n.length));
    for (let cut = 0; cut < bytes.length; cut++) {
      if (boundaries.has(cut)) expect(() => parseCcache(bytes.subarray(0, cut)), `cut at ${cut}`).not.toThrow();
      else expect(() => parseCcache(bytes.subarray(0, cut)), `cut at ${cut}`).toThrow(KrbDecodeError);
    }
  });

  it('prints a one-line error for a malformed file', async () => {
    const file = path.join(lab.dir, 'broken.ccache');
    const bytes = await readFile(ccaches.v4!);
    await writeFile(file, bytes.subarray(0, 100));
    const { code, stderr } = await runKbench(['ccache', 'show', file]);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/ccache\..+ at byte \d+/);
  });
});
