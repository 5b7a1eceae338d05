import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

/** Width and height from a PNG's IHDR chunk (signature, length, "IHDR", then the two sizes). */
function pngSize(png: Buffer): [number, number] {
  expect(png.subarray(0, 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

/** The sizes an .ico's directory lists (0 stands for 256). */
function icoSizes(ico: Buffer): number[] {
  expect(ico.readUInt16LE(0)).toBe(0);
  expect(ico.readUInt16LE(2)).toBe(1);
  return Array.from({ length: ico.readUInt16LE(4) }, (_, i) => ico[6 + 16 * i] || 256);
}

/** The chunks of an .icns: type and PNG body. */
function icnsChunks(icns: Buffer): [string, Buffer][] {
  expect(icns.subarray(0, 4).toString('latin1')).toBe('icns');
  expect(icns.readUInt32BE(4)).toBe(icns.length);
  const chunks: [string, Buffer][] = [];
  for (let at = 8; at < icns.length; ) {
    const length = icns.readUInt32BE(at + 4);
    chunks.push([icns.subarray(at, at + 4).toString('latin1'), icns.subarray(at + 8, at + length)]);
    at += length;
  }
  return chunks;
}

type Builder = { icon?: string; files?: string[]; linux?: { icon?: string }; mac?: { icon?: string }; win?: { icon?: string } };

describe('app icon (resources/, rendered from resources/icon.svg by scripts/make-icons.js)', () => {
  it('has every Linux size as resources/icons/NxN.png, and a 1024 px resources/icon.png', async () => {
    for (const size of [16, 32, 48, 64, 128, 256, 512, 1024]) expect(pngSize(await readFile(`resources/icons/${size}x${size}.png`)), `${size}`).toEqual([size, size]);
    expect(pngSize(await readFile('resources/icon.png'))).toEqual([1024, 1024]);
    expect(await readFile('resources/icon.svg', 'utf8')).toMatch(/<svg[^>]+viewBox="0 0 1024 1024"/);
  });

  it('has a Windows .ico from 16 to 256 px and a macOS .icns of PNG chunks ic07–ic10', async () => {
    expect(icoSizes(await readFile('resources/icon.ico'))).toEqual([16, 32, 48, 64, 128, 256]);
    const chunks = icnsChunks(await readFile('resources/icon.icns'));
    expect(chunks.map(([type, png]) => [type, pngSize(png)[0]])).toEqual([
      ['ic07', 128],
      ['ic08', 256],
      ['ic09', 512],
      ['ic10', 1024],
    ]);
  });

  it('is what electron-builder.yml names for each platform, and ships for the window', async () => {
    const config = parse(await readFile('electron-builder.yml', 'utf8')) as Builder;
    expect([config.icon, config.linux?.icon, config.mac?.icon, config.win?.icon]).toEqual(['resources/icon.png', 'resources/icons', 'resources/icon.icns', 'resources/icon.ico']);
    for (const file of [config.icon, config.linux?.icon, config.mac?.icon, config.win?.icon]) expect(existsSync(file!), file).toBe(true);
    expect(config.files).toContain('resources/icon.png');
    // The window is given that file (BrowserWindow icon; security-checklist/window tests check it reaches the options).
    expect(await readFile('electron/main.ts', 'utf8')).toMatch(/path\.join\(app\.getAppPath\(\), 'resources', 'icon\.png'\)/);
  });
});
