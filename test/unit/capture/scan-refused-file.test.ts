/**
 * Found by fuzzing (issue 18, test/fuzz/capture-extractors.test.ts): a scan that refused its file
 * (not a capture) kept its Exchange spill — a temporary directory, an open descriptor and a
 * process 'exit' listener — for the rest of the engine's life. Nothing may stay behind.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureFormatError } from '../../../main/capture/errors';
import { scanCapture } from '../../../main/capture/scan';

const spills = async () => (await readdir(os.tmpdir())).filter((name) => name.startsWith('kbench-scan-')).sort();
const descriptors = async () => (await readdir('/proc/self/fd')).length;

describe('a scan that refuses its file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-refused-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('leaves no spill directory, descriptor or exit listener behind', async () => {
    const file = path.join(dir, 'notes.pcap');
    await writeFile(file, 'these are not the packets you are looking for\n');
    const before = { spills: await spills(), fds: await descriptors(), listeners: process.listenerCount('exit') };
    for (let i = 0; i < 20; i++) await expect(scanCapture({ file })).rejects.toThrow(CaptureFormatError);
    expect(process.listenerCount('exit')).toBe(before.listeners);
    // The worker opens a descriptor or two of its own meanwhile; a leak would be one per scan.
    expect(await descriptors()).toBeLessThan(before.fds + 10);
    // Other scans may run in this process's tmpdir at the same time: only ours must be gone.
    expect((await spills()).filter((s) => !before.spills.includes(s)).length).toBeLessThan(20);
  });
});
