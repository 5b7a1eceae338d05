import type { FuseV1Config } from '@electron/fuses';

/** What the hook reads of electron-builder's AfterPackContext. */
export interface PackContext {
  appOutDir: string;
  electronPlatformName: string;
  arch: number;
  packager: { appInfo: { productFilename: string }; executableName?: string };
}

export const RUN_AS_NODE_KEPT_BECAUSE: string;
export const PACKAGED_FUSES: FuseV1Config & { strictlyRequireAllFuses: true };
export function electronBinaryPath(context: PackContext): string;
export function afterPack(context: PackContext): Promise<void>;
export default afterPack;
