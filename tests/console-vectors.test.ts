import { resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { HAVE_CHROMIUM, launchChromium, NO_CHROMIUM } from './console/browser';

/** proto/'s format vectors pass inside Chromium, with the code the console bundles (WebCrypto, no Node). */
if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM);

describe.skipIf(!HAVE_CHROMIUM)('the format vectors of proto/ in Chromium', () => {
  let browser: Browser;
  let script: string;
  beforeAll(async () => {
    const bundled = await build({
      entryPoints: [resolve(import.meta.dirname, 'console/vectors-in-browser.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      logLevel: 'silent',
    });
    script = bundled.outputFiles[0]!.text;
    browser = await launchChromium();
  }, 60_000);
  afterAll(() => browser?.close());

  it('every vector checks out, a non-extractable key decrypts the result vector', async () => {
    const page = await browser.newPage();
    // A secure context (WebCrypto's Ed25519 and ECDH need one) with nothing else on it.
    await page.route('http://127.0.0.1/vectors', (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>vectors</title>' }));
    await page.goto('http://127.0.0.1/vectors');
    await page.addScriptTag({ content: script });
    const outcomes = (await page.evaluate('runVectors()')) as { name: string; result: string }[];
    expect(outcomes.length).toBe(10);
    expect(outcomes.filter((o) => o.result !== 'ok')).toEqual([]);
  });
});
