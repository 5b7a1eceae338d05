import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The layering rules of ARCHITECTURE.md, proven against eslint.config.js: each snippet is linted
 * as if it were a file at the given place in the tree.
 */
const eslint = new ESLint({ cwd: process.cwd() });

async function layeringErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.resolve(file) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports' || m.ruleId === 'kbench/restricted-paths')
    .map((m) => m.message);
}

describe('layering lint rules', () => {
  it('main/ never imports electron', async () => {
    expect(await layeringErrors('main/system/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toEqual([
      expect.stringContaining('main/ never imports electron'),
    ]);
    expect(await layeringErrors('main/engine/x.ts', "import type { IpcMain } from 'electron/main';\nexport type A = IpcMain;\n")).toHaveLength(1);
  });

  it('main/ does not reach into the Electron shell or the renderer', async () => {
    expect(await layeringErrors('main/system/x.ts', "import { IPC_INVOKE } from '../../electron/channels';\nexport const a = IPC_INVOKE;\n")).toEqual([
      expect.stringContaining('must not depend on the Electron shell'),
    ]);
  });

  it('the renderer may import from main/ only main/api, and only types', async () => {
    expect(await layeringErrors('renderer/src/x.ts', "import { dispatch } from '../../main/engine/dispatch';\nexport const a = dispatch;\n")).toEqual(
      expect.arrayContaining([expect.stringContaining('only main/api')]),
    );
    expect(await layeringErrors('renderer/src/x.ts', "import { benchMethods } from '@api/contract';\nexport const a = benchMethods;\n")).toEqual([
      expect.stringContaining('only types from main/api'),
    ]);
    expect(await layeringErrors('renderer/src/x.ts', "import { benchMethods } from '../../main/api/contract';\nexport const a = benchMethods;\n")).toEqual([
      expect.stringContaining('only types from main/api'),
    ]);
    expect(await layeringErrors('renderer/src/x.ts', "import { readFile } from 'node:fs';\nexport const a = readFile;\n")).toEqual([
      expect.stringContaining('runs in a browser'),
    ]);
  });

  it('accepts what the rules allow', async () => {
    expect(await layeringErrors('renderer/src/x.ts', "import type { DoctorItem } from '@api/index';\nexport type A = DoctorItem;\n")).toEqual([]);
    expect(await layeringErrors('electron/x.ts', "import { createEngine } from '../main/engine';\nexport const a = createEngine;\n")).toEqual([]);
    expect(await layeringErrors('main/system/x.ts', "import { parseProfile } from '../krb/profile';\nexport const a = parseProfile;\n")).toEqual([]);
    expect(await layeringErrors('main/krb/x.ts', "import { createHash } from 'node:crypto';\nexport const a = createHash;\n")).toEqual([]);
  });

  it('main/krb is pure: no I/O modules, nothing else of the engine', async () => {
    expect(await layeringErrors('main/krb/x.ts', "import { readFile } from 'node:fs/promises';\nexport const a = readFile;\n")).toEqual([
      expect.stringContaining('main/krb does no I/O'),
    ]);
    expect(await layeringErrors('main/krb/x.ts', "import { runTool } from '../system/exec';\nexport const a = runTool;\n")).toEqual([
      expect.stringContaining('main/krb is pure codecs'),
    ]);
  });

  it('main/cli is a thin adapter: services through the engine, no codecs, brokers, labs or GSS workers of its own', async () => {
    const internals: [string, string][] = [
      ["import { parseKeytab } from '../../krb/keytab';", 'parseKeytab'],
      ["import { startBroker } from '../../broker/broker';", 'startBroker'],
      ["import { GssSupervisor } from '../../gss/supervisor';", 'GssSupervisor'],
      ["import { MqttProbe } from '../../probe/probe';", 'MqttProbe'],
      ["import { scanCapture } from '../../capture/scan';", 'scanCapture'],
      ["import { startHttpEndpoint } from '../../http/endpoint';", 'startHttpEndpoint'],
      ["import { LogFollower } from '../../lab/kdc-log';", 'LogFollower'],
      ["import type { Exchange } from '../../exchange/model';", 'Exchange'],
      // `kbench sasl client|server` drive the Sasl service's peers, not a SASL side of their own.
      ["import { SaslGssapiClient } from '../../sasl/client';", 'SaslGssapiClient'],
      ["import { ExchangeRecorder } from '../../exchange/recorder';", 'ExchangeRecorder'],
      ["import { resolveProfile } from '../../gss/profiles';", 'resolveProfile'],
    ];
    for (const [line, name] of internals) {
      const use = line.startsWith('import type') ? `export type A = ${name};` : `export const a = ${name};`;
      expect(await layeringErrors('main/cli/commands/x.ts', `${line}\n${use}\n`), line).toEqual([expect.stringContaining('main/cli is a thin adapter')]);
    }
    expect(await layeringErrors('main/cli/x.ts', "import { parsePrincipal } from '../krb/names';\nexport const a = parsePrincipal;\n")).toEqual([
      expect.stringContaining('main/cli is a thin adapter'),
    ]);
    // No file of main/cli has extra allowances any more: sasl.ts and profile-options.ts meet the same rule.
    expect(await layeringErrors('main/cli/commands/sasl.ts', "import { SaslGssapiServer } from '../../sasl/server';\nexport const a = SaslGssapiServer;\n")).toEqual([
      expect.stringContaining('main/cli is a thin adapter'),
    ]);
    expect(await layeringErrors('main/cli/profile-options.ts', "import type { KerberosProfile } from '../gss/types';\nexport type A = KerberosProfile;\n")).toEqual([
      expect.stringContaining('main/cli is a thin adapter'),
    ]);
  });

  it('main/cli may use the contract, the engine, system helpers and formatting', async () => {
    const allowed = [
      "import { invokeService } from '../invoke';\nexport const a = invokeService;\n",
      "import type { KeytabDocument } from '../../api/inspect';\nexport type A = KeytabDocument;\n",
      "import type { Exchange } from '../../api';\nexport type A = Exchange;\n",
      "import { createEngine } from '../../engine';\nexport const a = createEngine;\n",
      "import { logSafe } from '../../system/log-safe';\nexport const a = logSafe;\n",
      "import { describeSalt } from '../../krb/wording';\nexport const a = describeSalt;\n",
      "import { serializeExchange } from '../../exchange/serialize';\nexport const a = serializeExchange;\n",
      // The Cyrus sample programs' line framing: formatting for stdin/stdout.
      "import { protocolLine } from '../../sasl/lines';\nexport const a = protocolLine;\n",
    ];
    for (const code of allowed) expect(await layeringErrors('main/cli/commands/x.ts', code), code).toEqual([]);
  });
});
