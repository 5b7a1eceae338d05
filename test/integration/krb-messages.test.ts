/**
 * The message codecs on real MIT traffic: DER round trips (decode → encode gives the same
 * bytes), password-only decryption with the KDC's ETYPE-INFO2 salt, raw keys, and the CLI.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSequence } from '../../main/inspect/decode';
import { decodeDer } from '../../main/krb/der/schema';
import { parseKeytab } from '../../main/krb/keytab';
import { MESSAGE_BY_TAG } from '../../main/krb/messages';
import { findNode } from '../../main/krb/tree';
import { captureKinitKvno, type CapturedExchange } from '../helpers/capture';
import { runKbench } from '../helpers/cli';
import { ALICE_PASSWORD, createTestRealm, type TestRealm } from '../helpers/lab';

describe('Kerberos messages from a real kinit + kvno', () => {
  let lab: TestRealm;
  let exchange: CapturedExchange;
  beforeAll(async () => {
    lab = await createTestRealm();
    exchange = await captureKinitKvno(lab);
  });
  afterAll(() => lab?.destroy());

  it('re-encodes every message to exactly the bytes MIT sent', () => {
    expect(exchange.messages.length).toBeGreaterThanOrEqual(5);
    for (const bytes of exchange.messages) {
      const { name, schema } = MESSAGE_BY_TAG[bytes[0]! & 0x1f]!;
      const { value } = decodeDer(schema, bytes, name);
      expect(schema.encode(value).equals(bytes), name).toBe(true);
    }
  });

  it('decrypts the AS exchange with only alice\'s password, using the salt from ETYPE-INFO2', () => {
    const reports = decodeSequence(exchange.messages, [{ kind: 'password', principal: `alice@${lab.name}`, password: ALICE_PASSWORD }]);
    const kinds = reports.map((r) => r.kind);
    expect(kinds.slice(0, 4)).toEqual(['AS-REQ', 'KRB-ERROR', 'AS-REQ', 'AS-REP']);
    expect(findNode(reports[1]!.tree, 'error-code')?.value).toBe('KDC_ERR_PREAUTH_REQUIRED: Additional pre-authentication required (25)');
    // PA-ENC-TIMESTAMP (usage 1) and the AS-REP enc-part (usage 3) open with the password key.
    const timestamp = JSON.stringify(reports[2]!.tree);
    expect(timestamp).toContain('"keyUsage":"1 (AS-REQ PA-ENC-TIMESTAMP, client key)"');
    const asRep = findNode(reports[3]!.tree, 'enc-part')!;
    const encPart = [asRep, ...(reports[3]!.tree.children ?? [])].find((n) => n.decrypted && n.name === 'enc-part')!;
    expect(encPart.decrypted?.keySource).toMatch(/^password for alice@BENCH\.TEST \(aes256-cts-hmac-sha1-96, (ETYPE-INFO2|default) salt "BENCH\.TESTalice"\)/);
    // The TGT session key learned from the AS-REP then opens the TGS-REQ's authenticator and the TGS-REP.
    expect(JSON.stringify(reports[4]!.tree)).toContain('7 (TGS-REQ PA-TGS-REQ authenticator, TGT session key)');
    expect(JSON.stringify(reports[5]!.tree)).toMatch(/FAST strengthened reply key/);
  });

  it('decrypts with a raw key given as ETYPE:HEX', async () => {
    const keytab = parseKeytab(await readFile(exchange.keytabFile)).keytab;
    const service = keytab.entries.find((e) => e.principal.components[0] === 'mqtt' && e.enctype === 18)!;
    const tgsRep = exchange.messages[exchange.messages.length - 1]!;
    const file = path.join(lab.dir, 'tgs-rep.bin');
    await writeFile(file, tgsRep);
    const { code, stdout } = await runKbench(['decode', file, '--key', `aes256-cts-hmac-sha1-96:${service.key.toString('hex')}`, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { kind: string; tree: Parameters<typeof findNode>[0] };
    expect(report.kind).toBe('TGS-REP');
    const ticketPart = findNode(findNode(report.tree, 'ticket')!, 'enc-part')!;
    expect(ticketPart.decrypted?.keySource).toBe('raw aes256-cts-hmac-sha1-96 key');
    expect(findNode(ticketPart.decrypted!.tree, 'cname')?.value).toBe('alice');
  });

  it('prints the tree with offsets, and hides keys unless --reveal', async () => {
    const file = path.join(lab.dir, 'as-rep.bin');
    await writeFile(file, exchange.messages[3]!);
    const hidden = await runKbench(['decode', file, '--keytab', exchange.keytabFile]);
    expect(hidden.code).toBe(0);
    expect(hidden.stdout).toMatch(/^AS-REP, \d+ bytes/);
    expect(hidden.stdout).toMatch(/msg-type: AS-REP \(11\)\s+\[INTEGER \(msg-type\) @\d+\+\d+\]/);
    expect(hidden.stdout).toMatch(/⤷ decrypted with keytab .*everything\.keytab: alice@BENCH\.TEST/);
    expect(hidden.stdout).toMatch(/keyvalue: <32 bytes hidden>/);
    const revealed = await runKbench(['decode', file, '--keytab', exchange.keytabFile, '--reveal']);
    expect(revealed.stdout).toMatch(/keyvalue: [0-9a-f]{64}/);
  });

  it('reports malformed input in one line naming structure, field and offset (exit 1)', async () => {
    const broken = Buffer.from(exchange.messages[3]!);
    broken[40] = 0x02; // turn a SEQUENCE/[n] tag into an INTEGER in the middle of the reply
    const file = path.join(lab.dir, 'broken.bin');
    await writeFile(file, broken.subarray(0, 200));
    const { code, stderr, stdout } = await runKbench(['decode', file]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^kbench: AS-REP(\.[\w-]+)* at byte \d+: /);
  });
});
