/**
 * AD salts against the real Samba AD DC: keytabs the bench builds from an account's password with
 * AD's salt hold the DC's own keys, MIT's acceptor (the kerberos binding) takes AD tickets with
 * them, and a keytab made with MIT's default salt fails with MIT's "cannot decrypt ticket" while
 * the check and the key-match explanation name both salts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KerberosProfile } from '../../main/gss/types';
import { DecoderServiceImpl, KeytabServiceImpl } from '../../main/inspect/service';
import { parseKeytab } from '../../main/krb/keytab';
import { enctypeName } from '../../main/krb/names';
import { AD_HOOK_TIMEOUT_MS, AD_SKIP_REASON, openAdLab, uniqueAccount, type AdLabHandle } from '../helpers/ad-lab';
import { runKbench } from '../helpers/cli';

const exec = promisify(execFile);
const PASSWORD = 'Ad-Salt-Test-1!';

/**
 * One AP-REQ from alice's ccache for `service` ("HTTP@ws1.ad.test"), accepted by MIT's acceptor
 * with `keytab` — the binding reads KRB5_* from its environment, so both run in a child process.
 */
const SCRIPT = String.raw`
const k = require('kerberos');
(async () => {
  const client = await k.initializeClient(process.argv[1], {});
  const apReq = await client.step('');
  process.stdout.write(JSON.stringify({ apReq }) + '\n');
  const server = await k.initializeServer(process.argv[1]);
  await server.step(apReq);
  process.stdout.write(JSON.stringify({ accepted: server.username }) + '\n');
})().catch((e) => { process.stdout.write(JSON.stringify({ error: String(e && e.message || e) }) + '\n'); });
`;

interface Acceptance {
  apReq?: string;
  accepted?: string;
  error?: string;
}

async function accept(profile: KerberosProfile, service: string, keytab: string): Promise<Acceptance> {
  const env = { ...process.env, KRB5_CONFIG: profile.krb5Config!, KRB5CCNAME: profile.ccache!, KRB5_KTNAME: `FILE:${keytab}` };
  const { stdout } = await exec(process.execPath, ['-e', SCRIPT, service], { env, cwd: process.cwd(), encoding: 'utf8', timeout: 20_000 });
  return Object.assign({}, ...stdout.trim().split('\n').map((line) => JSON.parse(line) as Acceptance)) as Acceptance;
}

const keysOf = async (file: string) => parseKeytab(await readFile(file)).keytab.entries.map((e) => `${e.kvno} ${enctypeName(e.enctype)} ${e.key.toString('hex')}`);

describe.skipIf(AD_SKIP_REASON)('AD salts with the real DC', () => {
  let ad: AdLabHandle;
  let dir: string;
  let profile: KerberosProfile;
  const keytabs = new KeytabServiceImpl();
  const decoder = new DecoderServiceImpl();
  const made: string[] = [];
  const service = uniqueAccount('saltsvc');
  const computer = `ws${Math.random().toString(16).slice(2, 8)}`;
  const serviceSpn = `${service}/localhost`;
  const computerSpn = `HTTP/${computer}.ad.test`;

  beforeAll(async () => {
    ad = await openAdLab();
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-ad-salt-'));
    profile = await ad.lab.profile({ kind: 'ad' });
    await ad.lab.addAccount({ kind: 'ad', name: service, type: 'user', password: PASSWORD, spns: [serviceSpn], enctypes: 'both' });
    made.push(service);
    await ad.lab.addAccount({ kind: 'ad', name: `${computer}$`, type: 'computer', password: PASSWORD, spns: [computerSpn], enctypes: 'both' });
    made.push(`${computer}$`);
  }, AD_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    for (const name of made) await ad?.lab.removeAccount({ kind: 'ad', name }).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
    await ad?.close();
  });

  /** The DC's keys for `principal`, and the bench's keytab from the password with `saltType`. */
  async function both(principal: string, saltType: 'mit' | 'ad-user' | 'ad-computer', account: string) {
    const dcFile = path.join(dir, `${principal.replace(/\W/g, '_')}.dc.keytab`);
    await ad.lab.exportKeytab({ kind: 'ad', path: dcFile, principals: [principal], replace: true });
    const kvno = parseKeytab(await readFile(dcFile)).keytab.entries[0]!.kvno;
    const doc = await keytabs.add(null, { principal: `${principal}@AD.TEST`, kvno, password: PASSWORD, saltType, ...(saltType === 'mit' ? {} : { account }) }, false);
    const benchFile = path.join(dir, `${principal.replace(/\W/g, '_')}.${saltType}.keytab`);
    await writeFile(benchFile, Buffer.from(doc.base64, 'base64'), { mode: 0o600 });
    return { dcFile, benchFile, kvno };
  }

  it('a service account: the bench-built keytab (AD salt) holds the DC\'s keys, and MIT\'s acceptor takes the AD ticket with it', async () => {
    const { dcFile, benchFile } = await both(serviceSpn, 'ad-user', service);
    expect(await keysOf(benchFile)).toEqual(await keysOf(dcFile));
    expect((await keysOf(dcFile)).map((k) => k.split(' ')[1])).toEqual(['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha1-96', 'arcfour-hmac']);
    const accepted = await accept(profile, `${service}@localhost`, benchFile);
    expect(accepted).toMatchObject({ accepted: 'alice@AD.TEST' });
  });

  it('the MIT-default-salt keytab: "cannot decrypt ticket", and the check and explanation name both salts', async () => {
    const { benchFile } = await both(serviceSpn, 'mit', service);
    const refused = await accept(profile, `${service}@localhost`, benchFile);
    expect(refused.error).toMatch(/found in keytab but cannot decrypt ticket/);

    // The check: the aes keys are this password with MIT's salt, not the account's AD salt.
    const check = await keytabs.check({ path: benchFile }, PASSWORD, { saltType: 'ad-user', account: service });
    const aes = check.entries.filter((e) => e.enctype.startsWith('aes'));
    expect(aes.every((e) => e.match && e.salt?.kind === 'mit' && e.salt.used === `AD.TEST${service}localhost`)).toBe(true);
    expect(aes[0]!.note).toBe(`made with the MIT default salt "AD.TEST${service}localhost", not the AD salt of account ${service} "AD.TEST${service}"`);

    // The explanation of the very ticket MIT refused.
    const [explained] = await decoder.explainKey({ text: refused.apReq! }, { path: benchFile }, { password: PASSWORD, account: service });
    expect(explained!.ok).toBe(false);
    expect(explained!.kdcSalt).toEqual({ used: `AD.TEST${service}`, kind: 'ad-user', account: service });
    expect(explained!.conclusion).toContain(`was made with the MIT default salt "AD.TEST${service}localhost", but the KDC encrypts with the key of the AD salt of account ${service} "AD.TEST${service}"`);
    // The same through kbench explain-key (the Decoder service): each entry's salt, and the KDC's.
    const cli = await runKbench(['explain-key', '--base64', refused.apReq!, '--keytab', benchFile, '--password', PASSWORD, '--ad-account', service]);
    expect(cli.code, cli.stderr).toBe(1);
    expect(cli.stdout).toContain(`decrypts no, salted the MIT default salt "AD.TEST${service}localhost"`);
    expect(cli.stdout).toContain(`the KDC's key: the AD salt of account ${service} "AD.TEST${service}"`);
  });

  it('a computer account: its SPN\'s keys carry the computer salt; the AD-salted keytab works, the MIT one does not', async () => {
    const { dcFile, benchFile } = await both(computerSpn, 'ad-computer', `${computer}$`);
    expect(await keysOf(benchFile)).toEqual(await keysOf(dcFile));
    expect(await accept(profile, `HTTP@${computer}.ad.test`, benchFile)).toMatchObject({ accepted: 'alice@AD.TEST' });

    const mit = await both(computerSpn, 'mit', `${computer}$`);
    const refused = await accept(profile, `HTTP@${computer}.ad.test`, mit.benchFile);
    expect(refused.error).toMatch(/found in keytab but cannot decrypt ticket/);
    // No account given: HTTP/NAME.ad.test's computer salt is among the ones the bench tries.
    const [explained] = await decoder.explainKey({ text: refused.apReq! }, { path: mit.benchFile }, { password: PASSWORD });
    expect(explained!.kdcSalt).toMatchObject({ used: `AD.TESThost${computer}.ad.test`, kind: 'ad-computer' });
    expect(explained!.conclusion).toMatch(/--ad-account \S+ --computer\)\.$/);
  });

  it('kbench keytab add --ad-account writes the DC\'s keys (through the Keytab service)', async () => {
    const dcFile = path.join(dir, 'cli.dc.keytab');
    await ad.lab.exportKeytab({ kind: 'ad', path: dcFile, principals: [serviceSpn], replace: true });
    const kvno = parseKeytab(await readFile(dcFile)).keytab.entries[0]!.kvno;
    const file = path.join(dir, 'cli.keytab');
    const added = await runKbench(['keytab', 'add', file, '--principal', `${serviceSpn}@AD.TEST`, '--password', PASSWORD, '--ad-account', service, '--kvno', String(kvno)]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toBe(`added 3 entries for ${serviceSpn}@AD.TEST kvno ${kvno} (aes256-cts-hmac-sha1-96, aes128-cts-hmac-sha1-96, arcfour-hmac, AD salt of account ${service}) to ${file}\n`);
    expect(await keysOf(file)).toEqual(await keysOf(dcFile));
    const checked = await runKbench(['keytab', 'check', file, '--password', PASSWORD, '--ad-account', service]);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain(`salt "AD.TEST${service}" (AD account ${service})`);
  });
});
