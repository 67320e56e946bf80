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

/**
 * axe-core's serious and critical findings on the page as it is now (WCAG 2 A and AA rules),
 * as "rule: target" lines. Injected through the DevTools protocol, which the page's CSP does not
 * govern — the console itself allows no inline script.
 */
export async function accessibilityProblems(page: import('playwright-core').Page): Promise<string[]> {
  const { readFile } = await import('node:fs/promises');
  const { createRequire } = await import('node:module');
  const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const violations = (await page.evaluate(`axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) })))`)) as { id: string; impact: string; targets: string[] }[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').flatMap((v) => v.targets.map((t) => `${v.id}: ${t}`));
}
