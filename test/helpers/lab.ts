import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { MitRealm } from '../../main/lab/mit/realm';

export const ALICE_PASSWORD = 'alice-Pa55word';

/**
 * A running MIT realm with the usual cast: alice (password, client keytab, TGT in a ccache) and
 * mqtt/localhost (random key, service keytab). Everything under one temp dir.
 */
export interface TestRealm {
  realm: MitRealm;
  name: string;
  dir: string;
  serviceKeytab: string;
  aliceKeytab: string;
  ccache: string;
  env: NodeJS.ProcessEnv;
  /** Runs an MIT tool in the realm (stdout); throws with stderr on failure. */
  run(tool: string, args: string[], input?: string): Promise<string>;
  destroy(): Promise<void>;
}

const exec = promisify(execFile);

export async function createTestRealm(name = 'BENCH.TEST'): Promise<TestRealm> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'kbench-test-realm-'));
  const realm = await MitRealm.create({ dir: path.join(root, 'realm'), realm: name });
  await realm.addPrincipal('alice', { password: ALICE_PASSWORD });
  await realm.addPrincipal('mqtt/localhost', { randkey: true });
  await realm.start();
  const serviceKeytab = path.join(root, 'service.keytab');
  const aliceKeytab = path.join(root, 'alice.keytab');
  await realm.ktadd(serviceKeytab, 'mqtt/localhost');
  await realm.ktadd(aliceKeytab, 'alice', { norandkey: true });
  const ccache = await realm.kinit('alice', { password: ALICE_PASSWORD }, { ccache: path.join(root, 'alice.ccache') });
  const env = { ...realm.env(), KRB5CCNAME: `FILE:${ccache}`, KRB5_KTNAME: `FILE:${serviceKeytab}` };
  return {
    realm,
    name,
    dir: root,
    serviceKeytab,
    aliceKeytab,
    ccache,
    env,
    async run(tool, args, input) {
      const child = exec(tool, args, { env, encoding: 'utf8', timeout: 20_000 });
      if (input !== undefined) child.child.stdin?.end(input);
      return (await child).stdout;
    },
    async destroy() {
      await realm.destroy();
      await rm(root, { recursive: true, force: true });
    },
  };
}
