/**
 * electron-builder afterPack hook (electron-builder.yml: afterPack): flips Electron's fuses in the
 * packaged binary, before signing, so the OS signature then guards them (Electron security
 * checklist item 19). test/unit/electron/fuses.test.ts runs it on a binary-shaped file.
 */
import path from 'node:path';
import { flipFuses, FuseV1Options, FuseVersion } from '@electron/fuses';

/**
 * The one fuse left as Electron ships it, and why: the engine runs its GSS workers
 * (main/gss/supervisor.ts, child_process.fork), the kerberos binding probe and the MQTT.js export
 * check as Node processes of the app's own binary with ELECTRON_RUN_AS_NODE=1 — a native crash
 * in the Kerberos library then kills a worker, never the app. With RunAsNode off, fork throws and
 * every GSS operation of the packaged app fails. Flip it once those processes move to
 * utilityProcess (test/unit/electron/fuses.test.ts fails when the engine stops using the variable).
 */
export const RUN_AS_NODE_KEPT_BECAUSE = 'the engine forks its GSS workers with ELECTRON_RUN_AS_NODE=1 (main/gss/supervisor.ts)';

/** Every fuse of the V1 wire, set explicitly (strictlyRequireAllFuses: a fuse added later fails the build until decided). */
export const PACKAGED_FUSES = {
  version: FuseVersion.V1,
  strictlyRequireAllFuses: true,
  [FuseV1Options.RunAsNode]: true,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  // The ninth fuse of current Electron binaries (@electron/fuses 2.1 names it): left on, as Electron
  // ships it. It only lets V8 bound-check WebAssembly memory with guard pages.
  [FuseV1Options.WasmTrapHandlers]: true,
};

/** electron-builder's Arch enum value for arm64. */
const ARCH_ARM64 = 3;

/** Where the packaged Electron binary is, as electron-builder names it per platform. */
export function electronBinaryPath(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas') return path.join(appOutDir, `${packager.appInfo.productFilename}.app`);
  if (electronPlatformName === 'win32') return path.join(appOutDir, `${packager.appInfo.productFilename}.exe`);
  return path.join(appOutDir, packager.executableName);
}

export async function afterPack(context) {
  // An arm64 macOS binary carries an ad-hoc signature that flipping invalidates: re-sign it.
  const resetAdHocDarwinSignature = context.electronPlatformName === 'darwin' && context.arch === ARCH_ARM64;
  await flipFuses(electronBinaryPath(context), { ...PACKAGED_FUSES, resetAdHocDarwinSignature });
}

export default afterPack;
