/**
 * Parity with Wireshark: a real kinit + kvno exchange against the MIT lab KDC, captured with
 * tshark, decoded (and decrypted with a keytab holding krbtgt, alice and the service) by tshark
 * and by us. Every Kerberos field tshark reports must match ours, frame by frame.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSequence } from '../../main/inspect/decode';
import { parseKeytab } from '../../main/krb/keytab';
import type { TreeNode } from '../../main/krb/tree';
import { captureKinitKvno } from '../helpers/capture';
import { createTestRealm, type TestRealm } from '../helpers/lab';

const exec = promisify(execFile);

/** tshark field → how to read the same thing from our tree (node name, value → canonical string). */
const FIELDS: Record<string, (tree: TreeNode) => string[]> = {
  'kerberos.msg_type': (t) => values(t, 'msg-type').map(leadingNumberOrParen),
  'kerberos.nonce': (t) => values(t, 'nonce'),
  'kerberos.CNameString': (t) => strings(t, 'cname'),
  'kerberos.SNameString': (t) => strings(t, 'sname'),
  'kerberos.realm': (t) => values(t, 'realm'),
  'kerberos.crealm': (t) => values(t, 'crealm'),
  'kerberos.srealm': (t) => values(t, 'srealm'),
  'kerberos.kvno': (t) => values(t, 'kvno'),
  'kerberos.keytype': (t) => values(t, 'keytype').map(leadingNumberOrParen),
  'kerberos.keyvalue': (t) => values(t, 'keyvalue'),
  'kerberos.etype': (t) => values(t, 'etype').map(leadingNumberOrParen),
  'kerberos.error_code': (t) => values(t, 'error-code').map(leadingNumberOrParen),
  'kerberos.authtime': (t) => values(t, 'authtime'),
  'kerberos.starttime': (t) => values(t, 'starttime'),
  'kerberos.endtime': (t) => values(t, 'endtime'),
  'kerberos.renew_till': (t) => values(t, 'renew-till'),
  'kerberos.ctime': (t) => values(t, 'ctime'),
  'kerberos.stime': (t) => values(t, 'stime'),
  'kerberos.patimestamp': (t) => values(t, 'patimestamp'),
  'kerberos.cusec': (t) => values(t, 'cusec'),
  'kerberos.seq_number': (t) => values(t, 'seq-number'),
};

function walk(node: TreeNode, visit: (n: TreeNode) => void): void {
  visit(node);
  for (const child of node.children ?? []) walk(child, visit);
  if (node.decrypted) walk(node.decrypted.tree, visit);
}

function values(tree: TreeNode, name: string): string[] {
  const out: string[] = [];
  walk(tree, (n) => {
    if (n.name === name && n.value !== undefined && !n.children?.length) out.push(String(n.value));
  });
  return out;
}

/**
 * Strings of the KerberosString children of every node called `name` (cname, sname). tshark files
 * the cname inside FAST's KrbFastFinished under kerberos.KerberosString instead, so skip that one.
 */
function strings(tree: TreeNode, name: string): string[] {
  const out: string[] = [];
  const skip = new Set<TreeNode>();
  walk(tree, (n) => {
    if (n.type === 'KrbFastFinished') walk(n, (m) => skip.add(m));
  });
  walk(tree, (n) => {
    if (n.name !== name || skip.has(n)) return;
    walk(n, (m) => {
      if (m.type === 'KerberosString' && typeof m.value === 'string') out.push(m.value);
    });
  });
  return out;
}

/** "AS-REQ (10)" → "10"; "18" → "18". */
function leadingNumberOrParen(value: string): string {
  return /\((-?\d+)\)$/.exec(value)?.[1] ?? value;
}

/** tshark prints absolute times as "Nov 22, 2026 05:50:14.000000000 UTC" (TZ=UTC). */
function tsharkValue(field: string, raw: string): string {
  if (/time|ctime|stime|till/.test(field) && /UTC$/.test(raw)) {
    const m = /^(\w{3}) {1,2}(\d{1,2}), (\d{4}) (\d{2}:\d{2}:\d{2})\.\d+ UTC$/.exec(raw);
    if (m) return new Date(`${m[1]} ${m[2]} ${m[3]} ${m[4]} UTC`).toISOString().replace('.000Z', 'Z');
  }
  return raw;
}

const sorted = (list: string[]) => [...list].sort();

describe('parity with tshark on a captured kinit + kvno', () => {
  let lab: TestRealm;
  let capture: string;
  let keytabFile: string;
  beforeAll(async () => {
    lab = await createTestRealm();
    ({ capture, keytabFile } = await captureKinitKvno(lab));
  });
  afterAll(() => lab?.destroy());

  it('decodes and decrypts every Kerberos message exactly as tshark does', async () => {
    const tsharkArgs = ['-r', capture, '-d', `tcp.port==${lab.realm.port},kerberos`, '-o', 'kerberos.decrypt:TRUE', '-o', `kerberos.file:${keytabFile}`, '-Y', 'kerberos'];
    const env = { ...process.env, TZ: 'UTC' };
    const fieldNames = Object.keys(FIELDS);
    const { stdout } = await exec(
      'tshark',
      [...tsharkArgs, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|', '-E', 'separator=\t', '-e', 'tcp.payload', ...fieldNames.flatMap((f) => ['-e', f])],
      { env, maxBuffer: 1 << 24 },
    );
    const frames = stdout.trim().split('\n').map((line) => line.split('\t'));
    expect(frames.length).toBeGreaterThanOrEqual(4); // AS-REQ, (KRB-ERROR, AS-REQ,) AS-REP, TGS-REQ, TGS-REP

    // Kerberos over TCP: a 4-byte record mark before each message.
    const messages = frames.map((f) => Buffer.from(f[0]!, 'hex').subarray(4));
    const keytab = parseKeytab(await readFile(keytabFile)).keytab;
    const reports = decodeSequence(messages, [{ kind: 'keytab', label: 'everything.keytab', entries: keytab.entries }], { revealSecrets: true });

    const kinds = reports.map((r) => r.kind);
    expect(kinds).toContain('AS-REP');
    expect(kinds).toContain('TGS-REP');
    let compared = 0;
    frames.forEach((frame, i) => {
      fieldNames.forEach((field, j) => {
        const theirs = (frame[j + 1] ?? '').split('|').filter(Boolean).map((v) => tsharkValue(field, v));
        const ours = FIELDS[field]!(reports[i]!.tree);
        expect(sorted(ours), `frame ${i} (${kinds[i]}) ${field}`).toEqual(sorted(theirs));
        compared += theirs.length;
      });
    });
    // The decrypted parts really were compared: session keys and ticket times appear only there.
    expect(compared).toBeGreaterThan(60);
    const allKeyvalues = frames.flatMap((f) => (f[fieldNames.indexOf('kerberos.keyvalue') + 1] ?? '').split('|').filter(Boolean));
    expect(allKeyvalues.length).toBeGreaterThanOrEqual(2);
  });
});
