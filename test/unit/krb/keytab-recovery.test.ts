import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeytabServiceImpl } from '../../../main/inspect/service';
import { KrbDecodeError } from '../../../main/krb/errors';
import { parseKeytab } from '../../../main/krb/keytab';
import { recoverKeytab } from '../../../main/krb/keytab-recovery';
import { runKbench } from '../../helpers/cli';
import { worldKeytab, worldKeytabBytes } from '../../helpers/world';

/** The strict parse error, which recovery starts from. */
function strictError(bytes: Uint8Array): KrbDecodeError {
  try {
    parseKeytab(bytes);
  } catch (error) {
    if (error instanceof KrbDecodeError) return error;
    throw error;
  }
  throw new Error('the bytes parse strictly');
}

/** Offsets of each record's size field in a (well-formed) keytab. */
function recordStarts(bytes: Buffer): number[] {
  const starts: number[] = [];
  for (let at = 2; at < bytes.length; at += 4 + bytes.readInt32BE(at)) starts.push(at);
  return starts;
}

// An MIT keytab (test/fixtures/world: krbtgt, alice and HTTP/localhost, 5 enctypes each).
const mit = worldKeytabBytes;
const starts = recordStarts(mit);

describe('a damaged keytab', () => {
  it('lists every entry before a truncation and says where and how the damage starts', () => {
    const cut = mit.subarray(0, mit.length - 20);
    const recovered = recoverKeytab(cut, strictError(cut))!;
    const last = starts.at(-1)!;
    expect(recovered.keytab.entries).toEqual(worldKeytab.slice(0, -1));
    expect(recovered.summary.offset).toBe(last);
    expect(recovered.summary.message).toBe(
      `the ${worldKeytab.length - 1} entries before byte ${last} read; from there: keytab.entry[${worldKeytab.length - 1}].size at byte ${last}: entry size ${mit.readInt32BE(last)} runs past the end of the input (${cut.length - last - 4} bytes remain)`,
    );
    expect(recovered.tree.children!.at(-1)).toMatchObject({ name: 'damaged', offset: last, length: cut.length - last });
  });

  it('reads a keytab whose every record length is off by the same amount, and says so', () => {
    const off = Buffer.from(mit);
    for (const at of starts) off.writeInt32BE(off.readInt32BE(at) + 4, at);
    const recovered = recoverKeytab(off, strictError(off))!;
    expect(recovered.keytab.entries).toEqual(worldKeytab);
    expect(recovered.summary).toEqual({ offset: 2, message: 'every record length is off by 4 (larger than the entry it holds): read with the lengths corrected' });
  });

  it('gives up when nothing can be read', () => {
    const broken = Buffer.concat([mit.subarray(0, 2), Buffer.from('7fffffff', 'hex'), mit.subarray(6)]);
    expect(recoverKeytab(broken, strictError(broken))).toBeUndefined();
  });

  it('is shown by the Keytab service and kbench keytab show, which exits 1', async () => {
    const cut = mit.subarray(0, mit.length - 20);
    const doc = await new KeytabServiceImpl().read({ base64: cut.toString('base64'), name: 'copied.keytab' }, false);
    expect(doc.entries).toHaveLength(worldKeytab.length - 1);
    expect(doc.damage).toEqual({ offset: starts.at(-1), message: expect.stringMatching(/^the \d+ entries before byte \d+ read; from there: /) });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-damaged-'));
    try {
      const file = path.join(dir, 'copied.keytab');
      await writeFile(file, cut);
      const shown = await runKbench(['keytab', 'show', file]);
      expect(shown.code).toBe(1);
      expect(shown.stdout).toContain(`(version 0x0502, ${worldKeytab.length - 1} entries)`);
      expect(shown.stdout).toContain('alice@WORLD.TEST');
      expect(shown.stderr).toBe(`kbench: ${file} is damaged (byte ${starts.at(-1)}): ${doc.damage!.message}\n`);
      const json = JSON.parse((await runKbench(['keytab', 'show', file, '--json'])).stdout) as { entries: unknown[]; damage: unknown };
      expect(json).toMatchObject({ entries: expect.any(Array), damage: doc.damage });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
