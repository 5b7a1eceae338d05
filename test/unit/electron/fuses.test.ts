import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterPack, electronBinaryPath, PACKAGED_FUSES, RUN_AS_NODE_KEPT_BECAUSE } from '../../../scripts/after-pack-fuses.js';

/** @electron/fuses' marker before the fuse wire in every Electron binary since 12, and a fuse's two states ('1', '0'). */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const FuseState = { ENABLE: 0x31, DISABLE: 0x30 } as const;

/**
 * A file shaped like an Electron binary where fuses are concerned: code around the sentinel,
 * wire version 1, wire length 9 (Electron 43 and later), every fuse as Electron ships it.
 */
function fakeElectronBinary(): Buffer {
  const wire = [FuseState.ENABLE, FuseState.ENABLE, FuseState.ENABLE, FuseState.ENABLE, FuseState.DISABLE, FuseState.DISABLE, FuseState.DISABLE, FuseState.ENABLE, FuseState.ENABLE];
  return Buffer.concat([Buffer.alloc(4096, 0x90), Buffer.from(SENTINEL, 'latin1'), Buffer.from([1, wire.length, ...wire]), Buffer.alloc(4096, 0x90)]);
}

describe('fuses flipped when packaging (scripts/after-pack-fuses.js)', () => {
  let appOutDir: string;
  beforeAll(async () => {
    appOutDir = await mkdtemp(path.join(tmpdir(), 'kbench-fuses-'));
  });
  afterAll(() => rm(appOutDir, { recursive: true, force: true }));

  it('sets every fuse of the wire explicitly, as the checklist asks', () => {
    expect(PACKAGED_FUSES).toMatchObject({
      strictlyRequireAllFuses: true,
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
      [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
    });
    const named = Object.values(FuseV1Options).filter((v): v is FuseV1Options => typeof v === 'number');
    for (const fuse of named) expect(typeof PACKAGED_FUSES[fuse], FuseV1Options[fuse]).toBe('boolean');
  });

  it('keeps RunAsNode only while the engine forks its workers through ELECTRON_RUN_AS_NODE', async () => {
    // When the workers move to utilityProcess this fails: then set RunAsNode to false.
    expect(PACKAGED_FUSES[FuseV1Options.RunAsNode]).toBe(true);
    expect(RUN_AS_NODE_KEPT_BECAUSE).toContain('main/gss/supervisor.ts');
    const gss = await Promise.all((await readdir('main/gss')).filter((f) => f.endsWith('.ts')).map((f) => readFile(path.join('main/gss', f), 'utf8')));
    expect(gss.some((code) => /ELECTRON_RUN_AS_NODE: '1'/.test(code))).toBe(true);
  });

  it('flips them in the packaged Linux binary, in place, as electron-builder calls it', async () => {
    const binary = path.join(appOutDir, 'kerberos-bench');
    await writeFile(binary, fakeElectronBinary());
    const context = { appOutDir, electronPlatformName: 'linux', arch: 1, packager: { appInfo: { productFilename: 'Kerberos Bench' }, executableName: 'kerberos-bench' } };
    expect(electronBinaryPath(context)).toBe(binary);
    await afterPack(context);
    const wire = await getCurrentFuseWire(binary);
    const expected = Object.fromEntries(Object.entries(PACKAGED_FUSES).filter(([key]) => /^\d+$/.test(key)).map(([key, on]) => [key, on ? FuseState.ENABLE : FuseState.DISABLE]));
    expect(wire).toEqual({ version: '1', ...expected });
  });

  it('fails the build on a binary without a fuse wire', async () => {
    const binary = path.join(appOutDir, 'not-electron');
    await writeFile(binary, Buffer.alloc(1024));
    const context = { appOutDir, electronPlatformName: 'linux', arch: 1, packager: { appInfo: { productFilename: 'x' }, executableName: 'not-electron' } };
    await expect(afterPack(context)).rejects.toThrow(/sentinel/);
  });

  it('names the binary per platform as electron-builder does', () => {
    const packager = { appInfo: { productFilename: 'Kerberos Bench' }, executableName: 'kerberos-bench' };
    expect(electronBinaryPath({ appOutDir: '/o', electronPlatformName: 'darwin', arch: 3, packager })).toBe('/o/Kerberos Bench.app');
    expect(electronBinaryPath({ appOutDir: '/o', electronPlatformName: 'win32', arch: 1, packager })).toBe(path.join('/o', 'Kerberos Bench.exe'));
  });

  it('is the afterPack hook of electron-builder.yml', async () => {
    const config = parse(await readFile('electron-builder.yml', 'utf8')) as { afterPack?: string };
    expect(config.afterPack).toBe('./scripts/after-pack-fuses.js');
  });
});
