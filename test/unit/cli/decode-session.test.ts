/**
 * `kbench decode FILE…`: several messages decoded in order as one session, through the decoder
 * service; a password needs no principal when the messages name the client.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodeReport } from '../../../main/api/inspect';
import { DecoderServiceImpl } from '../../../main/inspect/service';
import { runKbench } from '../../helpers/cli';
import { world, worldKeytabBytes } from '../../helpers/world';

/** The messages of a Kerberos-over-TCP stream, record marks removed. */
function records(hex: string): Buffer[] {
  const stream = Buffer.from(hex, 'hex');
  const out: Buffer[] = [];
  for (let at = 0; at < stream.length; at += 4 + stream.readUInt32BE(at)) out.push(stream.subarray(at + 4, at + 4 + stream.readUInt32BE(at)));
  return out;
}

/** Usages of the decrypted parts of a tree. */
function usages(tree: DecodeReport['tree'], out: string[] = []): string[] {
  if (tree.decrypted) {
    out.push(tree.decrypted.keyUsage.split(' ')[0]!);
    usages(tree.decrypted.tree, out);
  }
  for (const child of tree.children ?? []) usages(child, out);
  return out;
}

describe('decode sessions', () => {
  let dir: string;
  let fast: string[];
  let plain: string[];
  let keytab: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-session-'));
    keytab = path.join(dir, 'world.keytab');
    await writeFile(keytab, worldKeytabBytes);
    const write = async (name: string, messages: Buffer[]) =>
      Promise.all(messages.map(async (bytes, i) => {
        const file = path.join(dir, `${name}-${i}.der`);
        await writeFile(file, bytes);
        return file;
      }));
    fast = await write('fast', records(world.kdcStreamFast));
    plain = await write('plain', records(world.kdcStreamPlain));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('decodes files in order as one session: keys from earlier messages open later ones', async () => {
    const run = await runKbench(['decode', ...fast, '--keytab', keytab, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const { messages } = JSON.parse(run.stdout) as { messages: DecodeReport[] };
    expect(messages.map((m) => m.kind)).toEqual(['AS-REQ', 'KRB-ERROR', 'AS-REQ', 'AS-REP', 'TGS-REQ', 'TGS-REP']);
    // The armor key learned from the first AS-REQ opens the KDC's FAST reply in the KRB-ERROR.
    expect(messages[0]!.learnedKeys).toContain('FAST armor key (KRB-FX-CF2 of the AP-REQ subkey and ticket session key)');
    expect(usages(messages[1]!.tree)).toContain('52');
    expect(messages.every((m) => !('base64' in m) && !('learnedKeyValues' in m))).toBe(true);
  });

  it('shows each message in turn as text, and the keys learned with their bytes only with --reveal', async () => {
    const text = await runKbench(['decode', ...fast.slice(0, 2), '--keytab', keytab]);
    expect(text.stdout).toMatch(/^— message 1 of 2: .*fast-0\.der —\nAS-REQ, \d+ bytes\n/);
    expect(text.stdout).toContain(`— message 2 of 2: ${fast[1]} —\nKRB-ERROR,`);
    const revealed = JSON.parse((await runKbench(['decode', ...fast.slice(0, 2), '--keytab', keytab, '--json', '--reveal'])).stdout) as { messages: DecodeReport[] };
    expect(revealed.messages[0]!.learnedKeyValues).toContainEqual({
      source: 'FAST armor key (KRB-FX-CF2 of the AP-REQ subkey and ticket session key)',
      enctype: 'aes256-cts-hmac-sha1-96',
      key: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('takes a password without --principal when the messages name the client, with the salt ETYPE-INFO2 gives', async () => {
    const run = await runKbench(['decode', ...plain, '--json'], { ...process.env, KBENCH_PASSWORD: world.alicePassword });
    expect(run.code, run.stderr).toBe(0);
    const { messages } = JSON.parse(run.stdout) as { messages: DecodeReport[] };
    expect(messages.map((m) => m.kind)).toEqual(['AS-REQ', 'KRB-ERROR', 'AS-REQ', 'AS-REP']);
    expect(usages(messages[2]!.tree)).toEqual(['1']); // PA-ENC-TIMESTAMP, alice's key
    expect(usages(messages[3]!.tree)).toContain('3'); // AS-REP enc-part
    expect(messages[3]!.learnedKeys.some((k) => /session key/.test(k))).toBe(true);
  });

  it('says when a password has no principal and the input names none', async () => {
    const service = new DecoderServiceImpl();
    await expect(service.decode({ text: world.javaSpnego }, [{ kind: 'password', password: 'x' }], false)).rejects.toThrow(
      'a password needs the principal it belongs to: none was given, and the input names no client (cname and realm)',
    );
  });

  it('decodes several pastes as one session through the service', async () => {
    const { messages } = await new DecoderServiceImpl().decodeSession(
      records(world.kdcStreamFast).map((bytes) => ({ text: bytes.toString('base64') })),
      [{ kind: 'keytab', source: { base64: worldKeytabBytes.toString('base64'), name: 'world.keytab' } }],
      false,
    );
    expect(messages).toHaveLength(6);
    expect(Buffer.from(messages[0]!.base64, 'base64')).toEqual(records(world.kdcStreamFast)[0]);
  });
});

describe('a MIC token verified with the message it protects', () => {
  // gokrb5's MICToken_test.go: aes128 session key, initiator MIC over de ad be ef.
  const mic = '040400ffffffffff00000000000000009649ca09d2f1bc51ff6e5ca3';
  const key = 'aes128-cts-hmac-sha1-96:14f9bde6b50ec508201a97f74c4e5bd3';

  it('verifies with --message-hex (and --message for text), and says so when the message differs', async () => {
    const ok = await runKbench(['decode', '--hex', mic, '--key', key, '--message-hex', 'de ad be ef']);
    expect(ok.stdout).toContain('message: checksum verified');
    const bad = await runKbench(['decode', '--hex', mic, '--key', key, '--message', 'not the message']);
    expect(bad.stdout).toContain('! none of the 1 key(s) verifies this token');
    const none = await runKbench(['decode', '--hex', mic, '--key', key]);
    expect(none.stdout).toContain('checksum not verified: a MIC token does not carry the message it protects');
    expect((await runKbench(['decode', '--hex', mic, '--message', 'a', '--message-hex', '61'])).code).toBe(2);
  });
});
