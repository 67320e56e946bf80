import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** The system's Chromium (Debian's `chromium` package; .ci/run installs it): no browser is downloaded. */
export const CHROMIUM = process.env.QIAO_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const NO_CHROMIUM = `browser tests skipped: ${CHROMIUM} is missing — install Debian's chromium package (apt-get install chromium; .ci/run does) or set QIAO_CHROMIUM`;

/** Headless Chromium with the flags a root container needs and nothing that calls home. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}
