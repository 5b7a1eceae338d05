/**
 * Undo of the lab's changes against this machine's MIT KDC (1.20): every check is made with MIT's
 * own programs (kadmin.local getprinc, kvno -k, kinit -k), never with the service's view alone.
 * The service directly, once through dispatch (engine.invoke) and once as `kbench lab undo`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabStatus } from '../../main/api/lab';
import { createEngine, type Engine } from '../../main/engine';
import { BenchEventBus } from '../../main/engine/events';
import { kdcsUnder, stopPid } from '../../main/lab/kdc-process';
import { LabServiceImpl } from '../../main/lab/service';
import { kbenchProcess, runProgram } from '../helpers/cli';

const REALM = 'UNDO.TEST';
const KADMIN = existsSync('/usr/sbin/kadmin.local') ? '/usr/sbin/kadmin.local' : 'kadmin.local';
const MQTT = `mqtt/localhost@${REALM}`;
const HTTP = `HTTP/localhost@${REALM}`;
const ALICE = `alice@${REALM}`;

describe('lab undo (MIT KDC)', () => {
  let root: string;
  let dataDir: string;
  let lab: LabServiceImpl;
  let status: LabStatus;
  let ccacheCount = 0;

  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const out: NodeJS.ProcessEnv = { ...process.env, ...status.env, KRB5_KDC_PROFILE: path.join(status.dir, 'kdc.conf'), ...extra };
    delete out.KRB5_TRACE;
    return out;
  };
  const run = (file: string, args: string[], input = '', extra: NodeJS.ProcessEnv = {}) => runProgram(file, args, env(extra), input, 30_000);
  const getprinc = async (name: string) => {
    const result = await run(KADMIN, ['-r', REALM, '-q', `getprinc ${name}`]);
    return `${result.stdout}${result.stderr}`;
  };
  /** A fresh ccache for alice (no cached service ticket hides a kvno). */
  async function aliceCcache(): Promise<string> {
    const ccache = `FILE:${path.join(root, `alice-${++ccacheCount}.ccache`)}`;
    const { password } = await lab.revealPassword({ realm: REALM });
    const kinit = await run('kinit', ['-c', ccache, ALICE], `${password}\n`);
    expect(kinit.code, kinit.stderr).toBe(0);
    return ccache;
  }
  const kvnoK = async (service: string, keytab = status.keytabs.service) => run('kvno', ['-c', await aliceCcache(), '-k', keytab, service]);

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kbench-lab-undo-'));
    dataDir = path.join(root, 'data');
    lab = new LabServiceImpl({ dataDir, events: new BenchEventBus() });
    status = await lab.up({ realm: REALM });
  }, 60_000);

  afterAll(async () => {
    lab?.dispose();
    for (const { pid } of await kdcsUnder(root)) await stopPid(pid);
    await rm(root, { recursive: true, force: true });
  });

  it('says what a rotation will change before it changes anything', async () => {
    const preview = await lab.preview({ realm: REALM, name: 'mqtt/localhost', operation: 'rotateKey' });
    expect(preview.principal).toBe(MQTT);
    expect(preview.effects.join(' ')).toContain(`${MQTT} goes from kvno 2 to 3`);
    expect(preview.effects.join(' ')).toContain('the old keytab is kept as mqtt_localhost.kvno2.keytab');
    expect(preview.undo).toContain('back to kvno 2');
    expect(await getprinc(MQTT)).toMatch(/Key: vno 2,/);
    expect(await getprinc(MQTT)).not.toMatch(/Key: vno 3,/);
    await expect(lab.preview({ realm: REALM, name: 'alice', operation: 'rotateKey' })).rejects.toThrow(/is a user with a password/);
  });

  it('rotate + undo: the old kvno is back in the KDC, the old keytab works again, the stale copy is gone', async () => {
    const rotation = await lab.rotateKey({ realm: REALM, name: 'mqtt/localhost' });
    expect(rotation).toMatchObject({ oldKvno: 2, newKvno: 3 });
    expect(rotation.status.lastChange).toMatchObject({ operation: 'rotateKey', principal: MQTT, summary: `${MQTT}: kvno 2 → 3` });
    expect((await kvnoK('mqtt/localhost')).stdout).toContain('kvno = 3, keytab entry valid');

    const undone = await lab.undo({ realm: REALM, id: rotation.status.lastChange!.id });
    expect(undone.change.summary).toBe(`${MQTT}: kvno 2 → 3`);
    expect(undone.restored.join('\n')).toMatch(/kdb5_util load -update/);
    status = undone.status;
    expect(status.principals.find((p) => p.name === MQTT)?.kvno).toBe(2);
    expect(status.lastChange).toBeNull();
    expect(status.staleKeytabs).toEqual([]);
    expect(existsSync(rotation.staleKeytab!)).toBe(false);

    // MIT: the database says kvno 2 only, a new ticket is kvno 2 and the service keytab decrypts it.
    const princ = await getprinc(MQTT);
    expect(princ).toMatch(/Key: vno 2, aes256-cts-hmac-sha1-96/);
    expect(princ).not.toMatch(/Key: vno 3/);
    expect((await kvnoK('mqtt/localhost')).stdout).toContain(`${MQTT}: kvno = 2, keytab entry valid`);
    const klist = await run('klist', ['-k', status.keytabs.service]);
    expect(klist.stdout).not.toMatch(/^ +3 mqtt\/localhost/m);
    const kinit = await run('kinit', ['-k', '-t', status.keytabs.service, '-c', `FILE:${path.join(root, 'mqtt.ccache')}`, MQTT]);
    expect(kinit.code, kinit.stderr).toBe(0);
  });

  it('setFlags + undo: -requires_preauth -allow_tix, then the flags are back', async () => {
    status = await lab.setFlags({ realm: REALM, name: 'alice', requiresPreauth: false, allowTix: false });
    const flipped = await getprinc(ALICE);
    expect(flipped).toMatch(/Attributes: DISALLOW_ALL_TIX/);
    expect(flipped).not.toMatch(/REQUIRES_PRE_AUTH/);
    expect(status.lastChange?.summary).toBe(`${ALICE}: -requires_preauth -allow_tix`);
    const refused = await run('kinit', ['-c', `FILE:${path.join(root, 'refused.ccache')}`, ALICE], `${(await lab.revealPassword({ realm: REALM })).password}\n`);
    expect(refused.stderr).toMatch(/credentials have been revoked/);

    status = (await lab.undo({ realm: REALM })).status;
    const back = await getprinc(ALICE);
    expect(back).toMatch(/Attributes: REQUIRES_PRE_AUTH\s*$/m);
    expect(back).not.toMatch(/DISALLOW_ALL_TIX/);
    await aliceCcache(); // kinit works again
  });

  it('removePrincipal + undo: the service exists again with its old keys and keytab entries', async () => {
    const before = (await getprinc(HTTP)).match(/Key: vno \d+, \S+/g);
    status = await lab.removePrincipal({ realm: REALM, name: 'HTTP/localhost' });
    expect(await getprinc(HTTP)).toMatch(/Principal does not exist/);
    expect((await run('klist', ['-k', status.keytabs.service])).stdout).not.toContain('HTTP/localhost');

    status = (await lab.undo({ realm: REALM })).status;
    expect((await getprinc(HTTP)).match(/Key: vno \d+, \S+/g)).toEqual(before);
    // Same keys, not just the same kvno: the restored keytab entries decrypt a new ticket.
    expect((await kvnoK('HTTP/localhost')).stdout).toContain(`${HTTP}: kvno = 2, keytab entry valid`);
    expect(status.principals.find((p) => p.name === HTTP)).toMatchObject({ kvno: 2, inServiceKeytab: true });
  });

  it('removing alice + undo: her password, client keytab and keys come back', async () => {
    const { password } = await lab.revealPassword({ realm: REALM });
    await lab.removePrincipal({ realm: REALM, name: 'alice' });
    await expect(lab.revealPassword({ realm: REALM })).rejects.toThrow(/knows no password/);
    expect(existsSync(status.keytabs.client)).toBe(false);

    await lab.undo({ realm: REALM });
    expect((await lab.revealPassword({ realm: REALM })).password).toBe(password);
    const kinit = await run('kinit', ['-k', '-t', status.keytabs.client, '-c', `FILE:${path.join(root, 'alice-kt.ccache')}`, ALICE]);
    expect(kinit.code, kinit.stderr).toBe(0);
  });

  it('setPassword + undo: the old password works again', async () => {
    await lab.addPrincipal({ realm: REALM, name: 'bob', password: 'old-Pa55' });
    await lab.setPassword({ realm: REALM, name: 'bob', password: 'new-Pa55' });
    expect(await getprinc(`bob@${REALM}`)).toMatch(/Key: vno 2,/);
    await lab.undo({ realm: REALM });
    expect(await getprinc(`bob@${REALM}`)).toMatch(/Key: vno 1,/);
    expect((await lab.revealPassword({ realm: REALM, name: 'bob' })).password).toBe('old-Pa55');
    const kinit = await run('kinit', ['-c', `FILE:${path.join(root, 'bob.ccache')}`, `bob@${REALM}`], 'old-Pa55\n');
    expect(kinit.code, kinit.stderr).toBe(0);
  });

  it('krbtgt rotate + undo: back to the old kvno, and alice has a TGT the KDC accepts', async () => {
    const krbtgt = `krbtgt/${REALM}@${REALM}`;
    const rotation = await lab.rotateKey({ realm: REALM, name: krbtgt });
    expect(rotation.newKvno).toBe(rotation.oldKvno + 1);
    await lab.refreshTicket({ realm: REALM }); // a TGT under the new key, which the undo takes away
    const undone = await lab.undo({ realm: REALM });
    expect(undone.restored.join('\n')).toContain('alice has a new TGT');
    expect(await getprinc(krbtgt)).not.toMatch(new RegExp(`Key: vno ${rotation.newKvno},`));
    const kvno = await run('kvno', ['mqtt/localhost'], '', { KRB5CCNAME: status.env.KRB5CCNAME });
    expect(kvno.code, kvno.stderr).toBe(0);
  });

  it('goes newest first, and refuses when the principal changed since by something without undo', async () => {
    const first = await lab.setFlags({ realm: REALM, name: 'hz/127.0.0.1', requiresPreauth: false });
    const second = await lab.rotateKey({ realm: REALM, name: 'hz/127.0.0.1' });
    await expect(lab.undo({ realm: REALM, id: first.lastChange!.id })).rejects.toThrow(`a later change was made since (hz/127.0.0.1@${REALM}: kvno 2 → 3): undo that one first`);
    // export-keytab --new-keys has no undo: undoing the rotation now would silently drop its key.
    await lab.exportKeytab({ realm: REALM, path: path.join(root, 'hz-new.keytab'), principals: ['hz/127.0.0.1'], newKeys: true });
    await expect(lab.undo({ realm: REALM, id: second.status.lastChange!.id })).rejects.toThrow(/hz\/127\.0\.0\.1@UNDO\.TEST was changed since .* \(kvno 4, .* now, kvno 3, .* then\)/);
  });

  describe('through the adapters', () => {
    let engine: Engine;
    beforeAll(() => {
      engine = createEngine({ runtime: 'cli', dataDir });
    });
    afterAll(async () => {
      await engine?.dispose();
    });

    it('dispatch: preview and undo validate their input and answer as data', async () => {
      const preview = await engine.invoke({ service: 'lab', method: 'preview', args: [{ realm: REALM, name: 'mqtt/localhost', operation: 'setFlags', allowTix: false }] });
      expect(preview).toMatchObject({ ok: true, value: { effects: [expect.stringContaining('-allow_tix')] } });
      expect(await engine.invoke({ service: 'lab', method: 'undo', args: [{ realm: REALM, id: 'not-a-uuid' }] })).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
      await engine.invoke({ service: 'lab', method: 'setFlags', args: [{ realm: REALM, name: 'mqtt/localhost', allowTix: false }] });
      const undone = await engine.invoke({ service: 'lab', method: 'undo', args: [{ realm: REALM }] });
      expect(undone).toMatchObject({ ok: true, value: { change: { operation: 'setFlags', principal: MQTT } } });
      expect(await getprinc(MQTT)).not.toMatch(/DISALLOW_ALL_TIX/);
    });

    it('kbench lab undo', async () => {
      const kbench = (args: string[]) => kbenchProcess(args, { ...process.env, KBENCH_DATA_DIR: dataDir, NO_COLOR: '1' }, { timeoutMs: 60_000 });
      const rotate = await kbench(['lab', 'principal', 'rotate', 'mqtt/localhost', '--realm', REALM]);
      expect(rotate.stdout).toContain('kvno 2 → 3');
      const undo = await kbench(['lab', 'undo', '--realm', REALM]);
      expect(undo.code, undo.stderr).toBe(0);
      expect(undo.stdout).toContain(`undone: ${MQTT}: kvno 2 → 3`);
      expect(undo.stdout).toContain('kdb5_util load -update');
      expect((await kvnoK('mqtt/localhost')).stdout).toContain('kvno = 2, keytab entry valid');
      const nothing = await kbench(['lab', 'undo', '--realm', REALM]);
      expect(nothing.code).toBe(1);
      expect(nothing.stderr).toContain(`hz/127.0.0.1@${REALM} was changed since`);
    });
  });
});
