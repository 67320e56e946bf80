import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { LI, LI_HOUSEHOLD, LI_SON_ELDER, LI_SON_YOUNGER } from '../adapters/departments/demo-world/world';
import { accessibilityProblems, HAVE_CHROMIUM, launchChromium, NO_CHROMIUM } from './console/browser';
import { bootConsoleWorld, logIn, recordRequests, type ConsoleWorld, type SentRequest } from './console/console-world';

/**
 * 分析对比 in the console: the investigator decrypts public security's and finance's answers about
 * Li and his sons, and runs Li's model (grassland subsidy declared twice) in the page with
 * duckdb-wasm, served by the console's own origin. The findings, and the records that support
 * each, are those `qiao compare` prints for the same inquiry.
 */
if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM);

function qiaoCompare(world: ConsoleWorld, inquiry: string, model: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const root = join(import.meta.dirname, '..');
  const child = spawn(join(root, 'qiao'), ['--gateway', world.fed.gateway.url, '--as', 'inv.ejinhoro', '--pki-dir', world.fed.pki.dir,
    '--state-dir', join(world.fed.pki.dir, 'cli-state'), 'compare', inquiry, '--model', model, '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'], cwd: root });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe.skipIf(!HAVE_CHROMIUM)('comparison models in the console (duckdb-wasm)', () => {
  let world: ConsoleWorld;
  let browser: Browser;
  let inquiry: string;
  beforeAll(async () => {
    [world, browser] = await Promise.all([bootConsoleWorld(), launchChromium()]);
    inquiry = await world.fed.runInquiry({
      investigator: 'inv.ejinhoro', approvers: ['appr.ordos'], categories: ['household', 'household_members', 'subsidies'],
      subjects: [LI, LI_SON_ELDER, LI_SON_YOUNGER].map((p) => ({ kind: 'person' as const, id: p.id })),
    });
    await world.fed.drain();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it("finds Li's grassland declared twice in the browser, with the same findings and supporting records as qiao compare", async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const sent: SentRequest[] = [];
    recordRequests(context, sent);
    const page = await logIn(world, context, 'inv.ejinhoro');
    const logged: string[] = [];
    page.on('console', (m) => logged.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logged.push(`pageerror: ${e.message}`));
    page.on('worker', (w) => logged.push(`worker ${w.url()}`));
    await page.getByRole('link', { name: '单位密钥' }).click();
    await page.getByLabel('密钥文件').setInputFiles(world.fed.pki.units['150627']!.privateKeyPath);
    await page.getByRole('status').filter({ hasText: '已导入单位' }).waitFor();
    await page.goto(`${world.consoleUrl}/inquiries/${encodeURIComponent(inquiry)}`);
    for (const department of ['public_security', 'finance']) {
      const part = page.locator(`article[data-department="${department}"]`);
      await part.getByRole('button', { name: '下载、验证并解密' }).click();
      await part.getByText(/已验证：回执签名/).waitFor();
    }
    // Nothing of the engine is fetched before someone compares.
    expect(sent.filter((r) => /duckdb/.test(r.url))).toEqual([]);
    // A model's explanation shows the columns it names as code, not as backticks.
    await page.getByLabel('比对模型').selectOption('assistance-to-owners');
    expect(await page.locator('p.explains code').allTextContents()).toEqual(expect.arrayContaining(['owned_from', 'role_since', 'role_until']));
    expect(await page.locator('p.explains').textContent()).not.toContain('`');
    await page.getByLabel('比对模型').selectOption('grassland-declared-twice');
    await page.getByRole('button', { name: '运行比对' }).click();
    const done = page.getByRole('status').filter({ hasText: /模型 grassland-declared-twice：\d+ 项发现/ });
    // The first use fetches and compiles the engine (34 MB of WebAssembly): slow on a loaded machine.
    await done.or(page.locator('section.comparison [role=alert]')).first().waitFor({ timeout: 240_000 });
    await done.waitFor({ timeout: 1000 }).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\nthe comparison section: ${await page.locator('section.comparison').textContent()}\nthe page said: ${logged.join('\n')}`);
    });
    const summary = (await done.textContent()) ?? '';
    console.log(`console comparison, first use (engine fetched and compiled, tables loaded, model run): ${/用时 (\d+) 毫秒/.exec(summary)?.[1]} ms`);

    const shown = await page.locator('li.finding').evaluateAll((items) =>
      items.map((li) => ({ finding: li.querySelector('.finding-text')?.textContent ?? '', refs: [...li.querySelectorAll('tr[data-ref]')].map((tr) => tr.getAttribute('data-ref')!).sort() })),
    );
    const cli = await qiaoCompare(world, inquiry, 'grassland-declared-twice');
    expect(cli.code, cli.stderr).toBe(0);
    const expected = (JSON.parse(cli.stdout) as { findings: { finding: string; details: Record<string, unknown>; records: { ref: string }[] }[] }).findings;
    // Li's case: two areas (298 and 312.5 mu), each paid twice to his household.
    expect(expected.map((f) => [f.details.household_id, f.details.area_mu])).toEqual([[LI_HOUSEHOLD, 298], [LI_HOUSEHOLD, 312.5]]);
    expect(shown).toEqual(expected.map((f) => ({ finding: f.finding, refs: f.records.map((r) => r.ref).sort() })));
    for (const f of shown) expect(f.refs.some((r) => r.includes('/finance/')) && f.refs.some((r) => r.includes('/public_security/'))).toBe(true);

    // The engine came from the console's own origin; nothing went anywhere else.
    const engine = sent.filter((r) => /duckdb/.test(r.url));
    expect(engine.length).toBeGreaterThan(0);
    for (const r of engine) expect(new URL(r.url).origin).toBe(world.consoleUrl);
    expect(new Set(sent.map((r) => new URL(r.url).origin))).toEqual(new Set([world.consoleUrl, world.fed.gateway.url, world.issuer]));
    expect(await accessibilityProblems(page), 'comparison').toEqual([]);
    await context.close();
  }, 480_000);
});
