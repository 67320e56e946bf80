/**
 * `npm run console:screenshots`: the console's main pages in zh-CN, as a person sees them on a
 * laptop screen, into docs/console/*.png (the README shows them), and the first-load figures the
 * README's budgets name. Runs the demo federation in this process on free ports, the Muhudunbao
 * case through the pages, in the system Chromium.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { LI, LI_SON_ELDER, LI_SON_YOUNGER } from '../../adapters/departments/demo-world/li-family';
import { HAVE_CHROMIUM, launchChromium, NO_CHROMIUM } from './browser';
import { devPkiPaths } from '../../certs-dev/layout';
import { bootConsoleWorld, logIn, type ConsoleWorld } from './console-world';

const OUT = resolve(import.meta.dirname, '../../docs/console');
const VIEWPORT = { width: 1366, height: 860 };

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: false });
  console.log(`docs/console/${name}.png`);
}

/** Milliseconds from navigation start until `ready` is visible, and the navigation's own load time. */
async function firstLoad(page: Page, url: string, ready: () => Promise<unknown>): Promise<{ readyMs: number; loadMs: number }> {
  const started = Date.now();
  await page.goto(url);
  await ready();
  const readyMs = Date.now() - started;
  const loadMs = await page.evaluate('Math.round(performance.getEntriesByType("navigation")[0].loadEventEnd)');
  return { readyMs, loadMs: Number(loadMs) };
}

/** Each user's signing key, picked once on the signing-key page (as a person does); `name` shoots the page. */
async function importSigningKey(world: ConsoleWorld, page: Page, username: string, name?: string) {
  const files = devPkiPaths(world.fed.pki.dir).signer(username);
  await page.getByRole('navigation').getByRole('link', { name: '我的签名密钥' }).click();
  await page.getByLabel('签名密钥文件（signing.jwk）').setInputFiles(files.privateJwk);
  await page.getByLabel('证书文件（signing.cert.jws）').setInputFiles(files.certificate);
  await page.getByRole('button', { name: '核验并导入' }).click();
  await page.getByRole('status').filter({ hasText: '已导入签名密钥' }).waitFor();
  if (name) await shot(page, name);
}

async function main() {
  if (!HAVE_CHROMIUM) {
    console.error(NO_CHROMIUM);
    process.exit(1);
  }
  await mkdir(OUT, { recursive: true });
  const [world, browser] = await Promise.all([bootConsoleWorld(), launchChromium()]);
  try {
    const inv = await browser.newContext({ viewport: VIEWPORT });
    const login = await inv.newPage();
    await login.goto(`${world.consoleUrl}/`);
    await login.getByRole('button', { name: '统一身份认证登录' }).waitFor();
    await shot(login, 'login');

    const page = await logIn(world, inv, 'inv.ejinhoro');
    await importSigningKey(world, page, 'inv.ejinhoro', 'signing-key');
    await page.getByRole('navigation').getByRole('link', { name: '新建查询' }).click();
    await page.getByLabel('案件编号').fill('EJH-2019-031');
    await page.getByLabel('法律依据').fill('《监察法》第十八条');
    await page.getByLabel('查询目的').fill('核查木呼敦包村村委会主任李某家庭草原补贴申报');
    await page.getByLabel('证件号码').fill(LI.id);
    for (const c of ['household', 'household_members', 'real_estate', 'grassland_contracts']) await page.getByRole('checkbox', { name: new RegExp(`^${c} `) }).check();
    await shot(page, 'new-inquiry');
    await page.getByRole('button', { name: '提交查询' }).click();
    await page.waitForURL(/\/inquiries\/[^/]+$/);
    const inquiryPath = new URL(page.url()).pathname;

    const appr = await browser.newContext({ viewport: VIEWPORT });
    const approver = await logIn(world, appr, 'appr.ordos');
    await importSigningKey(world, approver, 'appr.ordos');
    await approver.getByRole('navigation').getByRole('link', { name: '待我审批' }).click();
    await approver.locator('table.inquiries tbody tr').first().waitFor();
    await shot(approver, 'approval-queue');
    await approver.goto(`${world.consoleUrl}${inquiryPath}`);
    await approver.getByLabel('审批意见').fill('同意查询，案件 EJH-2019-031');
    await shot(approver, 'approve');
    await approver.getByRole('button', { name: '批准' }).click();
    await approver.getByRole('status').filter({ hasText: '已批准' }).waitFor();
    await world.fed.drain();

    await page.getByRole('link', { name: '单位密钥' }).click();
    await page.getByLabel('密钥文件').setInputFiles(world.fed.pki.units['150627']!.privateKeyPath);
    await page.getByRole('status').filter({ hasText: '已导入单位' }).waitFor();
    await page.getByRole('link', { name: '我的查询' }).click();
    await page.locator('table.inquiries tbody tr').first().waitFor();
    await shot(page, 'my-inquiries');
    await page.goto(`${world.consoleUrl}${inquiryPath}`);
    for (const dept of ['public_security', 'natural_resources']) {
      const part = page.locator(`article[data-department="${dept}"]`);
      await part.getByRole('button', { name: '下载、验证并解密' }).click();
      await part.getByText(/已验证/).waitFor();
    }
    await page.locator('div[data-category="household_members"]').scrollIntoViewIfNeeded();
    await shot(page, 'results');

    // 分析对比: Li and his sons' household and subsidy records, Li's model run in the page.
    const compared = await world.fed.runInquiry({
      investigator: 'inv.ejinhoro', approvers: ['appr.ordos'], categories: ['household', 'household_members', 'subsidies'],
      subjects: [LI, LI_SON_ELDER, LI_SON_YOUNGER].map((p) => ({ kind: 'person' as const, id: p.id })),
    });
    await world.fed.drain();
    await page.goto(`${world.consoleUrl}/inquiries/${encodeURIComponent(compared)}`);
    for (const dept of ['public_security', 'finance']) {
      const part = page.locator(`article[data-department="${dept}"]`);
      await part.getByRole('button', { name: '下载、验证并解密' }).click();
      await part.getByText(/已验证/).waitFor();
    }
    await page.getByLabel('比对模型').selectOption('grassland-declared-twice');
    const compareStarted = Date.now();
    await page.getByRole('button', { name: '运行比对' }).click();
    await page.getByRole('status').filter({ hasText: /项发现/ }).waitFor({ timeout: 120_000 });
    const compareFirstMs = Date.now() - compareStarted;
    await page.getByRole('button', { name: '运行比对' }).click();
    await page.getByRole('status').filter({ hasText: /项发现/ }).waitFor({ timeout: 120_000 });
    const compareAgainMs = Date.now() - compareStarted - compareFirstMs;
    await page.locator('section.comparison').scrollIntoViewIfNeeded();
    await shot(page, 'comparison');

    // The public security operator reconciles its served-warrant log.
    const ops = await browser.newContext({ viewport: VIEWPORT });
    const operator = await logIn(world, ops, 'ops.public_security');
    await operator.getByRole('navigation').getByRole('link', { name: '部门核对' }).click();
    await operator.getByLabel('令状日志文件（.ndjson）').setInputFiles(join(world.fed.pki.dir, 'served', 'public_security.ndjson'));
    await operator.getByRole('button', { name: '核对' }).click();
    await operator.getByRole('status').filter({ hasText: '一致' }).waitFor({ timeout: 60_000 });
    await shot(operator, 'operator');

    const aud = await browser.newContext({ viewport: VIEWPORT });
    const auditor = await logIn(world, aud, 'auditor.region');
    await auditor.getByRole('link', { name: '审计日志' }).click();
    await auditor.getByRole('button', { name: '验证日志' }).click();
    await auditor.getByRole('status').filter({ hasText: '验证通过' }).waitFor();
    await shot(auditor, 'audit');

    // First load, cold (a new context: nothing cached): the login page; and logged in, the
    // investigator's list with its data. Baseline: the provider's plain HTML page, no script.
    const cold = async () => (await browser.newContext({ viewport: VIEWPORT })).newPage();
    const coldLogin = await cold();
    const consoleLogin = await firstLoad(coldLogin, `${world.consoleUrl}/`, () => coldLogin.getByRole('button', { name: '统一身份认证登录' }).waitFor());
    const baselinePage = await cold();
    const baseline = await firstLoad(baselinePage, `${world.issuer}/.well-known/openid-configuration`, () => baselinePage.waitForLoadState());
    const listLoad = await firstLoad(page, `${world.consoleUrl}/inquiries`, () => page.locator('table.inquiries tbody tr').first().waitFor());
    const html = await readFile(join(world.consoleBuild.dir, 'index.html'), 'utf8');
    const first = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    const bytes = Buffer.concat(await Promise.all(first.map((f) => readFile(join(world.consoleBuild.dir, f)))));
    const all = Object.entries(world.consoleBuild.files).filter(([f]) => f.endsWith('.js') && !f.includes('duckdb')).reduce((n, [, f]) => n + f.bytes, 0);
    const engine = Object.entries(world.consoleBuild.files).filter(([f]) => f.includes('duckdb'));
    console.log(`first load, cold, until the login button shows: ${consoleLogin.readyMs} ms (load event ${consoleLogin.loadMs} ms); baseline, a plain JSON page of the provider: ${baseline.readyMs} ms`);
    console.log(`logged in, /inquiries until the list shows (script cached): ${listLoad.readyMs} ms`);
    console.log(`comparison (grassland-declared-twice, Li's household): first use ${compareFirstMs} ms (engine fetched and compiled), again ${compareAgainMs} ms; engine files: ${engine.map(([f, { bytes }]) => `${f} ${(bytes / 2 ** 20).toFixed(1)} MiB`).join(', ')}`);
    console.log(`script of the login page (${first.join(', ')}): ${(bytes.length / 1024).toFixed(0)} KiB, ${(gzipSync(bytes, { level: 9 }).length / 1024).toFixed(0)} KiB gzipped; all script but the comparison engine: ${(all / 1024).toFixed(0)} KiB`);
  } finally {
    await browser.close();
    await world.close();
  }
}

main().catch((err: Error) => {
  console.error(`console:screenshots: ${err.stack ?? err.message}`);
  process.exit(1);
});
