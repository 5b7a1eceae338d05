import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

// electron-builder's own loader and JSON-schema validation (the checks `electron-builder` runs
// before packaging), without downloading Electron or building anything.
const require = createRequire(import.meta.url);
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  getConfig(projectDir: string, configPath: string | null, fromOptions: null): Promise<Record<string, unknown>>;
  validateConfiguration(config: Record<string, unknown>, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

type Targets = { target?: (string | { target: string })[] };
const targetNames = (platform: unknown) => ((platform as Targets | undefined)?.target ?? []).map((t) => (typeof t === 'string' ? t : t.target));

describe('electron-builder.yml', () => {
  it('passes electron-builder schema validation', async () => {
    const config = await getConfig(process.cwd(), null, null);
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('declares AppImage and deb (Linux), dmg (macOS) and nsis (Windows)', async () => {
    const config = await getConfig(process.cwd(), null, null);
    expect(targetNames(config.linux)).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(targetNames(config.mac)).toContain('dmg');
    expect(targetNames(config.win)).toContain('nsis');
  });

  it('ships the build output and unpacks the native binding from the asar', async () => {
    const config = parse(await readFile('electron-builder.yml', 'utf8')) as Record<string, unknown>;
    expect(config.files).toContain('out/**');
    expect(config.asarUnpack).toEqual(expect.arrayContaining([expect.stringContaining('node_modules/kerberos')]));
    // The Java worker's sources ship, unpacked: javac cannot read inside the asar.
    expect(config.files).toContain('resources/java/**');
    expect(config.asarUnpack).toContain('resources/java/**');
    // …and the HOCON checker's, compiled against Debian's com.typesafe.config jar at first use.
    expect(config.files).toContain('resources/java-hocon/**');
    expect(config.asarUnpack).toContain('resources/java-hocon/**');
  });

  it('would reject a broken configuration (the validation is real)', async () => {
    const config = await getConfig(process.cwd(), null, null);
    await expect(validateConfiguration({ ...config, nsis: { oneClick: 'maybe' } }, new DebugLogger(false))).rejects.toThrow(/oneClick/);
  });
});
