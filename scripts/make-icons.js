#!/usr/bin/env node
/**
 * Renders the app icon (resources/icon.svg, drawn for Kerberos Bench) into every file
 * electron-builder.yml names: resources/icon.png (1024), resources/icons/NxN.png (Linux),
 * resources/icon.ico (Windows) and resources/icon.icns (macOS). The outputs are committed; run
 * this again after changing the SVG. Needs rsvg-convert (Debian librsvg2-bin: ImageMagick's own
 * SVG renderer drops gradients and masks) and ImageMagick's convert (Debian imagemagick) for the
 * .ico. The .icns is written here: a header and one PNG per chunk type.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const svg = path.join(root, 'resources', 'icon.svg');
const LINUX_SIZES = [16, 32, 48, 64, 128, 256, 512, 1024];
const ICO_SIZES = [16, 32, 48, 64, 128, 256];
/** Chunk types of the PNG-carrying .icns entries (Apple's icns format), by pixel size. */
const ICNS_TYPES = [
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
];

function render(size, out) {
  execFileSync('rsvg-convert', ['--width', String(size), '--height', String(size), '--format', 'png', '--output', out, svg]);
}

/** 'icns', total length, then per image: type, length (header included), PNG bytes. Lengths are big-endian. */
function icns(images) {
  const chunks = images.map(([type, png]) => {
    const header = Buffer.alloc(8);
    header.write(type, 0, 'latin1');
    header.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([header, png]);
  });
  const header = Buffer.alloc(8);
  header.write('icns', 0, 'latin1');
  header.writeUInt32BE(8 + chunks.reduce((sum, chunk) => sum + chunk.length, 0), 4);
  return Buffer.concat([header, ...chunks]);
}

const icons = path.join(root, 'resources', 'icons');
mkdirSync(icons, { recursive: true });
const pngOf = (size) => path.join(icons, `${size}x${size}.png`);
for (const size of LINUX_SIZES) render(size, pngOf(size));
render(1024, path.join(root, 'resources', 'icon.png'));
execFileSync('convert', [...ICO_SIZES.map(pngOf), path.join(root, 'resources', 'icon.ico')]);
writeFileSync(path.join(root, 'resources', 'icon.icns'), icns(ICNS_TYPES.map(([type, size]) => [type, readFileSync(pngOf(size))])));
console.log(`icons written: ${LINUX_SIZES.length} PNGs, icon.png, icon.ico (${ICO_SIZES.join(', ')}), icon.icns (${ICNS_TYPES.map(([t]) => t).join(', ')})`);
