import { chromium, type Browser } from 'playwright-core';
import { findChromium } from '../../main/system/chromium';

/**
 * Debian's Chromium driven by playwright-core (Playwright's own browser download cannot work
 * offline). The flags keep it from phoning home, which this machine's closed network refuses.
 */
export const CHROMIUM_OFFLINE_FLAGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export async function launchChromium(): Promise<Browser> {
  const executablePath = await findChromium();
  if (!executablePath) throw new Error('Chromium not found: sudo apt-get install -y chromium (or ./scripts/setup.sh)');
  return chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_OFFLINE_FLAGS] });
}
