import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultChunks, results } from '../gateway/db/schema';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openServedLog } from '../adapters/kit/served-log';
import { devPkiPaths } from '../certs-dev/layout';
import { signSignerCertificate } from '../proto/signer-certificate';
import { LI, LI_SON_ELDER, LI_SON_YOUNGER } from '../adapters/departments/demo-world/li-family';
import { accessibilityProblems, HAVE_CHROMIUM, launchChromium, NO_CHROMIUM } from './console/browser';
import { bootConsoleWorld, logIn, recordRequests, type ConsoleWorld, type SentRequest } from './console/console-world';

/**
 * The Muhudunbao case in the web console, in real Chromium, across three people: the Ejin Horo
 * investigator asks about village director Li, the Ordos approver approves, the investigator
 * imports the unit key into the browser and decrypts: the page shows Li's two sons joining his
 * household on 2017-03-15. Every request the pages send is kept and checked for plaintext.
 */
if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM);

/** As each user does once: picks their signing.jwk and signing.cert.jws on the signing-key page. */
async function importSigningKey(world: ConsoleWorld, page: Page, username: string, opts: { checkA11y?: boolean } = {}): Promise<void> {
  const files = devPkiPaths(world.fed.pki.dir).signer(username);
  await page.getByRole('navigation').getByRole('link', { name: '我的签名密钥' }).click();
  await page.getByRole('heading', { name: '我的签名密钥' }).waitFor();
  await page.getByRole('status').filter({ hasText: '尚未导入签名密钥' }).waitFor();
  if (opts.checkA11y) expect(await accessibilityProblems(page), 'signing-key page').toEqual([]);
  await page.getByLabel('签名密钥文件（signing.jwk）').setInputFiles(files.privateJwk);
  await page.getByLabel('证书文件（signing.cert.jws）').setInputFiles(files.certificate);
  await page.getByRole('button', { name: '核验并导入' }).click();
  await page.getByRole('status').filter({ hasText: '已导入签名密钥' }).waitFor();
}

// Each step drives real Chromium against a whole federation: generous on a loaded machine, never a timing assertion.
describe.skipIf(!HAVE_CHROMIUM)('the web console in Chromium: the Muhudunbao case', { timeout: 180_000 }, () => {
  let world: ConsoleWorld;
  let browser: Browser;
  const sent: SentRequest[] = [];
  /** What the investigator's inquiry page sent from the submission on. */
  const detailSent: SentRequest[] = [];
  let inquiryId: string;
  let watching: { contexts: BrowserContext[]; detail: Page; list: Page } | undefined;

  beforeAll(async () => {
    [world, browser] = await Promise.all([bootConsoleWorld(), launchChromium()]);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('the investigator logs in at the OpenID Connect provider and submits, with the resident ID checked as typed', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    recordRequests(context, sent);
    const login = await context.newPage();
    await login.goto(`${world.consoleUrl}/`);
    await login.getByRole('button', { name: '统一身份认证登录' }).waitFor();
    expect(await accessibilityProblems(login), 'login page').toEqual([]);
    await login.close();
    const page = await logIn(world, context, 'inv.ejinhoro');
    await page.getByRole('heading', { name: '新建查询' }).waitFor();
    // Without a signing key the form says what to do, and does not submit.
    await page.getByText('请先导入您的签名密钥').first().waitFor();
    await expect(page.getByRole('button', { name: '提交查询' }).isDisabled()).resolves.toBe(true);
    await importSigningKey(world, page, 'inv.ejinhoro', { checkA11y: true });
    // Non-extractable: the page itself cannot read the signing key back.
    const signingKey = await page.evaluate(`(async () => {
      const db = await new Promise((ok) => { const r = indexedDB.open('qiao-console'); r.onsuccess = () => ok(r.result); });
      const stored = await new Promise((ok) => { const r = db.transaction('signing-keys').objectStore('signing-keys').get('inv.ejinhoro'); r.onsuccess = () => ok(r.result); });
      return { type: stored.privateKey.type, algorithm: stored.privateKey.algorithm.name, extractable: stored.privateKey.extractable, usages: stored.privateKey.usages, exported: await crypto.subtle.exportKey('jwk', stored.privateKey).then(() => 'exported', (e) => e.name) };
    })()`);
    expect(signingKey).toEqual({ type: 'private', algorithm: 'Ed25519', extractable: false, usages: ['sign'], exported: 'InvalidAccessError' });
    await page.getByRole('navigation').getByRole('link', { name: '新建查询' }).click();
    await page.getByRole('heading', { name: '新建查询' }).waitFor();
    await page.getByLabel('案件编号').fill('EJH-2019-031');
    await page.getByLabel('法律依据').fill('《监察法》第十八条');
    await page.getByLabel('查询目的').fill('核查草原补贴申报');
    const id = page.getByLabel('证件号码');
    // A wrong check character is refused with the API's own message, before anything is sent.
    await id.fill(`${LI.id.slice(0, 17)}${LI.id.endsWith('4') ? '5' : '4'}`);
    await expect(page.locator('#subject-0-check').textContent()).resolves.toMatch(/check character/);
    await id.fill(LI.id);
    await expect(page.locator('#subject-0-check').textContent()).resolves.toBe('校验通过');
    // The categories come from the gateway's catalogue, with each department's health.
    // (Health as the gateway probed it just now: on a loaded machine a probe may time out.)
    await page.locator('label.category').filter({ hasText: 'household_members' }).filter({ hasText: /公安：(在线|暂不可达)/ }).waitFor();
    expect(sent.some((r) => r.url === `${world.fed.gateway.url}/v1/catalogue`)).toBe(true);
    for (const c of ['household', 'household_members', 'real_estate', 'grassland_contracts']) await page.getByRole('checkbox', { name: new RegExp(`^${c} `) }).check();
    await expect(page.locator('p.chain').textContent()).resolves.toContain('审批人 ×1');
    expect(await accessibilityProblems(page), 'new inquiry form').toEqual([]);
    recordRequests(context, detailSent);
    await page.getByRole('button', { name: '提交查询' }).click();
    await page.waitForURL(/\/inquiries\/[^/]+$/);
    inquiryId = decodeURIComponent(page.url().split('/').pop()!);
    await page.getByText('待审批').first().waitFor();
    // Kept open while the approver decides: the status is to arrive on the event stream, without a reload.
    await page.evaluate('window.qiaoNotReloaded = true');
    const listContext = await browser.newContext();
    recordRequests(listContext, sent);
    const list = await logIn(world, listContext, 'inv.ejinhoro');
    await list.getByRole('navigation').getByRole('link', { name: '我的查询' }).click();
    await list.locator(`tr[data-inquiry="${inquiryId}"] .status`).filter({ hasText: '待审批' }).waitFor();
    await list.evaluate('window.qiaoNotReloaded = true');
    watching = { contexts: [context, listContext], detail: page, list };
  });

  it('the Ordos approver finds it in the queue and approves it with a comment', async () => {
    const context = await browser.newContext();
    recordRequests(context, sent);
    const page = await logIn(world, context, 'appr.ordos');
    await page.getByRole('heading', { name: '待我审批' }).waitFor();
    await importSigningKey(world, page, 'appr.ordos');
    await page.getByRole('navigation').getByRole('link', { name: '待我审批' }).click();
    await page.getByRole('heading', { name: '待我审批' }).waitFor();
    await page.locator(`tr[data-inquiry="${inquiryId}"]`).waitFor();
    expect(await accessibilityProblems(page), 'approval queue').toEqual([]);
    await page.locator(`tr[data-inquiry="${inquiryId}"]`).getByRole('link', { name: /查看/ }).click();
    await page.getByLabel('审批意见').fill('同意查询，案件 EJH-2019-031');
    expect(await accessibilityProblems(page), 'inquiry, approver view').toEqual([]);
    await page.getByRole('button', { name: '批准' }).click();
    await page.getByRole('status').filter({ hasText: '已批准' }).waitFor();
    await context.close();
    await world.fed.drain();
  });

  it('the investigator\'s open pages show the new status as it happens, from the event stream, without a reload or polling', async () => {
    const { detail, list, contexts } = watching!;
    try {
      await detail.locator('dl.facts .status').filter({ hasText: '已完成' }).waitFor({ timeout: 30_000 });
      await list.locator(`tr[data-inquiry="${inquiryId}"] .status`).filter({ hasText: '已完成' }).waitFor({ timeout: 30_000 });
      for (const page of [detail, list]) await expect(page.evaluate('window.qiaoNotReloaded')).resolves.toBe(true);
      const inquiryUrl = `${world.fed.gateway.url}/v1/inquiries/${encodeURIComponent(inquiryId)}`;
      const streams = sent.filter((r) => r.url === `${inquiryUrl}/events` && r.method === 'GET');
      // One stream each for the detail page and the list, each with the bearer token (EventSource could not send it).
      expect(streams.length).toBeGreaterThanOrEqual(2);
      for (const r of streams) expect(r.headers.authorization).toMatch(/^Bearer /);
      // The detail page read the inquiry once when it opened; every change after came on the stream.
      expect(detailSent.filter((r) => r.url === inquiryUrl && r.method === 'GET').length).toBe(1);
      expect(detailSent.some((r) => r.url === `${inquiryUrl}/events`)).toBe(true);
    } finally {
      for (const c of contexts) await c.close();
    }
  });

  it('the investigator imports the unit key, then downloads, verifies and decrypts in the browser: Li\'s two sons joined on 2017-03-15', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    recordRequests(context, sent);
    const page = await logIn(world, context, 'inv.ejinhoro');
    await page.getByRole('link', { name: '单位密钥' }).click();
    await page.getByLabel('密钥文件').setInputFiles(world.fed.pki.units['150627']!.privateKeyPath);
    await page.getByRole('status').filter({ hasText: '已导入单位' }).waitFor();
    // Non-extractable: the page itself cannot read the private key back.
    // (A string: this file is type-checked without the DOM's types.)
    const extractable = await page.evaluate(`(async () => {
      const db = await new Promise((ok) => { const r = indexedDB.open('qiao-console'); r.onsuccess = () => ok(r.result); });
      const stored = await new Promise((ok) => { const r = db.transaction('unit-keys').objectStore('unit-keys').get('150627'); r.onsuccess = () => ok(r.result); });
      return { extractable: stored.key.extractable, exported: await crypto.subtle.exportKey('jwk', stored.key).then(() => 'exported', (e) => e.name) };
    })()`);
    expect(extractable).toEqual({ extractable: false, exported: 'InvalidAccessError' });

    await page.goto(`${world.consoleUrl}/inquiries/${encodeURIComponent(inquiryId)}`);
    const part = page.locator('article[data-department="public_security"]');
    await part.getByRole('button', { name: '下载、验证并解密' }).click();
    await part.getByText(/已验证：回执签名/).waitFor();
    const members = part.locator('div[data-category="household_members"] tbody tr');
    const sons = members.filter({ hasText: '2017-03-15' });
    await expect(sons.count()).resolves.toBe(2);
    // Column headers in the user's language, from the catalogue's field names.
    await part.locator('div[data-category="household_members"] th').filter({ hasText: '迁入日期' }).waitFor();
    const text = (await sons.allTextContents()).join('\n');
    expect(text).toContain(LI_SON_ELDER.id);
    expect(text).toContain(LI_SON_YOUNGER.id);
    expect(await accessibilityProblems(page), 'results').toEqual([]);
    // The English switch: every label changes, the data does not.
    await page.getByLabel('语言').selectOption('en');
    await part.getByText(/Verified: receipt signature/).waitFor();
    await part.locator('div[data-category="household_members"] th').filter({ hasText: 'Joined' }).waitFor();
    await page.getByRole('link', { name: 'Unit key' }).waitFor();
    await context.close();
  });

  it('a stored result altered at the gateway is refused on screen, naming the failed check, and no record is shown', async () => {
    const { db } = world.fed.gateway.database;
    const [row] = await db.select().from(results).where(and(eq(results.inquiryId, inquiryId), eq(results.department, 'public_security')));
    const [chunk] = await db.select().from(resultChunks).where(and(eq(resultChunks.partId, row!.partId), eq(resultChunks.warrantId, row!.warrantId))).orderBy(desc(resultChunks.seq)).limit(1);
    const data = Buffer.from(chunk!.data);
    data[data.length - 20]! ^= 1; // inside the last frame's ciphertext
    await db.update(resultChunks).set({ data }).where(and(eq(resultChunks.partId, chunk!.partId), eq(resultChunks.warrantId, chunk!.warrantId), eq(resultChunks.seq, chunk!.seq)));
    try {
      const context = await browser.newContext();
      recordRequests(context, sent);
      const page = await logIn(world, context, 'inv.ejinhoro');
      await page.getByRole('link', { name: '单位密钥' }).click();
      await page.getByLabel('密钥文件').setInputFiles(world.fed.pki.units['150627']!.privateKeyPath);
      await page.getByRole('status').filter({ hasText: '已导入单位' }).waitFor();
      await page.goto(`${world.consoleUrl}/inquiries/${encodeURIComponent(inquiryId)}`);
      const part = page.locator('article[data-department="public_security"]');
      await part.getByRole('button', { name: '下载、验证并解密' }).click();
      const alert = part.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/验证失败（frame-authentication）：public_security: frame-authentication check failed/);
      await expect(part.locator('table').count()).resolves.toBe(0);
      await context.close();
    } finally {
      data[data.length - 20]! ^= 1;
      await db.update(resultChunks).set({ data }).where(and(eq(resultChunks.partId, chunk!.partId), eq(resultChunks.warrantId, chunk!.warrantId), eq(resultChunks.seq, chunk!.seq)));
    }
  });

  it('a signing key that does not fit is refused before it is stored, saying why in Chinese and in English', async () => {
    const context = await browser.newContext();
    recordRequests(context, sent);
    const page = await logIn(world, context, 'inv.alxa');
    const mine = devPkiPaths(world.fed.pki.dir).signer('inv.alxa');
    const other = devPkiPaths(world.fed.pki.dir).signer('inv.ejinhoro');
    await page.getByRole('navigation').getByRole('link', { name: '我的签名密钥' }).click();
    const pick = async (key: string, certificate: string) => {
      await page.getByLabel('签名密钥文件（signing.jwk）').setInputFiles(key);
      await page.getByLabel('证书文件（signing.cert.jws）').setInputFiles(certificate);
      await page.getByRole('button', { name: '核验并导入' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      return alert.textContent();
    };
    // Someone else's key with one's own certificate.
    await expect(pick(other.privateJwk, mine.certificate)).resolves.toMatch(/此密钥不是证书所认证的密钥/);
    // Another unit's key and certificate (Ejin Horo's, for an Alxa investigator).
    await expect(pick(other.privateJwk, other.certificate)).resolves.toMatch(/该证书属于其他单位/);
    // The unit's encryption key is not a signing key.
    await expect(pick(world.fed.pki.units['150627']!.privateKeyPath, mine.certificate)).resolves.toMatch(/不含 Ed25519 签名密钥/);
    // A colleague's of the same unit, certified as approver, not investigator.
    const approver = devPkiPaths(world.fed.pki.dir).signer('appr.alxa');
    await expect(pick(approver.privateJwk, approver.certificate)).resolves.toMatch(/该证书未认证您的角色/);
    // One's own key under a certificate by the directory authority that has expired.
    const expiredDir = await mkdtemp(join(tmpdir(), 'qiao-expired-'));
    try {
      await writeFile(join(expiredDir, 'signing.cert.jws'), await signSignerCertificate({ ...world.fed.pki.signers['inv.alxa']!.claims, nbf: 1, exp: 2 }, world.fed.pki.directoryAuthority.privateJwk));
      await expect(pick(mine.privateJwk, join(expiredDir, 'signing.cert.jws'))).resolves.toMatch(/证书已过期或尚未生效/);
    } finally {
      await rm(expiredDir, { recursive: true, force: true });
    }
    await page.getByLabel('语言').selectOption('en');
    await page.getByRole('heading', { name: 'My signing key' }).waitFor();
    await page.getByLabel('Signing key file (signing.jwk)').setInputFiles(other.privateJwk);
    await page.getByLabel('Certificate file (signing.cert.jws)').setInputFiles(mine.certificate);
    await page.getByRole('button', { name: 'Check and import' }).click();
    await page.getByRole('alert').filter({ hasText: 'This key is not the one the certificate certifies' }).waitFor();
    await expect(page.getByRole('status').textContent()).resolves.toMatch(/No signing key imported yet/);
    await context.close();
  });

  it('a unit key that is not the unit\'s certified key is refused on import, saying why, and nothing is stored', async () => {
    const context = await browser.newContext();
    recordRequests(context, sent);
    const page = await logIn(world, context, 'inv.alxa');
    await page.getByRole('link', { name: '单位密钥' }).click();
    const dir = await mkdtemp(join(tmpdir(), 'qiao-unit-key-'));
    const pick = async (path: string, label = '密钥文件') => {
      await page.getByLabel(label).setInputFiles(path);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      return alert.textContent();
    };
    try {
      // Another unit's key (Ejin Horo's, for an Alxa investigator).
      await expect(pick(world.fed.pki.units['150627']!.privateKeyPath)).resolves.toMatch(/此密钥不是目录机构为本单位（152900）认证的密钥/);
      // Alxa's certified public half with another private half: does not match its certificate.
      const own = world.fed.pki.units['152900']!.privateJwk;
      const spliced = join(dir, 'encryption.jwk');
      await writeFile(spliced, JSON.stringify({ ...own, d: world.fed.pki.units['150627']!.privateJwk.d }));
      await expect(pick(spliced)).resolves.toMatch(/文件中的私钥与其公钥不匹配/);
      // A signing key is not the unit key.
      await expect(pick(devPkiPaths(world.fed.pki.dir).signer('inv.alxa').privateJwk)).resolves.toMatch(/不含 P-256 加密密钥/);
      await expect(page.getByRole('status').textContent()).resolves.toBe('尚未导入密钥。');
      await page.getByLabel('语言').selectOption('en');
      await expect(pick(world.fed.pki.units['150627']!.privateKeyPath, 'Key file')).resolves.toMatch(/not the one the directory authority certified for your unit \(152900\)/);
      // Its own key is accepted.
      await page.getByLabel('Key file').setInputFiles(world.fed.pki.units['152900']!.privateKeyPath);
      await page.getByRole('status').filter({ hasText: '152900' }).waitFor();
      await expect(page.getByRole('alert').count()).resolves.toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await context.close();
    }
  });

  it('another unit\'s investigator cannot reach the inquiry: the page says it does not exist', async () => {
    const context = await browser.newContext();
    recordRequests(context, sent);
    const page = await logIn(world, context, 'inv.alxa');
    await page.goto(`${world.consoleUrl}/inquiries/${encodeURIComponent(inquiryId)}`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/not found|不存在|no inquiry/i);
    await expect(page.getByText('EJH-2019-031').count()).resolves.toBe(0);
    await context.close();
  });

  it('the auditor reads the timeline, filters it, and verifies the log in the browser against the pinned key, then again for consistency', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    recordRequests(context, sent);
    const page = await logIn(world, context, 'auditor.region');
    await page.getByRole('link', { name: '审计日志' }).click();
    await page.locator('tr[data-action="inquiry.approved"]').first().waitFor();
    await page.getByLabel('操作').selectOption('result.downloaded');
    const actions = await page.locator('table.audit tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    expect(actions.length).toBeGreaterThan(0);
    expect(new Set(actions)).toEqual(new Set(['result.downloaded']));
    await page.getByRole('button', { name: '验证日志' }).click();
    const verified = page.getByRole('status').filter({ hasText: '验证通过' });
    await verified.waitFor();
    expect(await verified.textContent()).toContain('首次验证');
    await page.getByRole('button', { name: '验证日志' }).click();
    await page.getByRole('status').filter({ hasText: '上次接受的检查点' }).waitFor();
    expect(await accessibilityProblems(page), 'audit log').toEqual([]);
    await context.close();
  });

  it('the public security operator sees its entries and reconciles its served-warrant log in the browser: agreement, then a warrant the gateway never logged, then an edited log', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    recordRequests(context, sent);
    const page = await logIn(world, context, 'ops.public_security');
    await page.getByRole('navigation').getByRole('link', { name: '部门核对' }).click();
    await page.getByRole('heading', { name: '部门核对：公安' }).waitFor();
    await page.locator('table.audit tr[data-action="warrant.issued"]').first().waitFor();
    const dir = await mkdtemp(join(tmpdir(), 'qiao-served-'));
    const reconcile = async (file: string) => {
      await page.getByLabel('令状日志文件（.ndjson）').setInputFiles(file);
      await page.getByRole('button', { name: '核对' }).click();
      const outcome = page.getByRole('status').filter({ hasText: /一致|不一致/ }).or(page.getByRole('alert'));
      await outcome.first().waitFor({ timeout: 60_000 });
      return (await outcome.first().textContent()) ?? '';
    };
    try {
      const served = join(dir, 'served.ndjson');
      await writeFile(served, await readFile(join(world.fed.pki.dir, 'served', 'public_security.ndjson')));
      await expect(reconcile(served)).resolves.toMatch(/^✓ 一致.*首次核对/);
      expect(await accessibilityProblems(page), 'operator page').toEqual([]);
      // One more warrant "served" an hour ago, properly chained: the gateway has no entry for it.
      const forged = join(dir, 'forged.ndjson');
      await writeFile(forged, await readFile(served));
      const log = await openServedLog(forged, () => new Date(Date.now() - 3_600_000));
      await log.append({ outcome: 'served', jti: 'warrant-off-the-record', warrantSha256: 'ab'.repeat(32), inquiryId: inquiryId, records: 3, ciphertextSha256: 'cd'.repeat(32) });
      await log.close();
      await expect(reconcile(forged)).resolves.toMatch(/^✗ 不一致.*与本浏览器上次接受的检查点/);
      await page.locator('.reconcile-section').filter({ hasText: '已服务但网关未记录 (1)' }).filter({ hasText: 'warrant-off-the-record' }).waitFor();
      // A line edited by hand breaks the chain: the file is refused whole.
      const edited = join(dir, 'edited.ndjson');
      await writeFile(edited, (await readFile(served, 'utf8')).replace('"outcome":"accepted"', '"outcome":"refused"'));
      await expect(reconcile(edited)).resolves.toMatch(/日志文件无法读取：edited\.ndjson:\d+: the hash chain is broken/);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await context.close();
    }
  });

  it('the console server publishes the keys the page signs against, public halves only', async () => {
    const get = (path: string) => fetch(`${world.consoleUrl}${path}`);
    const authority = await get('/directory/authority.pub.jwk');
    expect(authority.status).toBe(200);
    expect(await authority.json()).toEqual(world.fed.pki.directoryAuthority.publicJwk);
    const unitKey = await get('/units/150627/encryption.pub.jwk');
    expect(unitKey.status).toBe(200);
    expect((await unitKey.json()) as object).not.toHaveProperty('d');
    await expect(get('/units/150627/encryption.cert.jws').then(async (r) => (await r.text()).trim())).resolves.toBe(world.fed.pki.units['150627']!.keyCertificate.trim());
    // The private unit key beside them, and anything outside the two names, is never served as a file.
    for (const path of ['/units/150627/encryption.jwk', '/units/150627/../150627/encryption.jwk', '/units/150627/%2e%2e/150627/encryption.jwk']) {
      const r = await get(path);
      expect(await r.text(), path).not.toContain(world.fed.pki.units['150627']!.privateJwk.d!);
    }
    expect((await get('/units/999999/encryption.pub.jwk')).status).toBe(404);
  });

  it('no request from the console carries plaintext, and requests go only to the console, the gateway and the issuer', () => {
    const origins = new Set(sent.map((r) => new URL(r.url).origin));
    expect([...origins].sort()).toEqual([world.consoleUrl, world.fed.gateway.url, world.issuer].sort());
    // What only decryption reveals: the sons' names and ids, the date they moved in.
    // And the unit's private key, which is imported into the browser and never uploaded.
    // And each user's signing key, imported the same way.
    const secrets = [LI_SON_ELDER.id, LI_SON_YOUNGER.id, LI_SON_ELDER.name, LI_SON_YOUNGER.name, '2017-03-15', world.fed.pki.units['150627']!.privateJwk.d!, world.fed.pki.signers['inv.ejinhoro']!.privateJwk.d!, world.fed.pki.signers['appr.ordos']!.privateJwk.d!];
    const leaks = sent.filter((r) => secrets.some((s) => `${r.url}\n${JSON.stringify(r.headers)}\n${r.body ?? ''}`.includes(s)));
    expect(leaks).toEqual([]);
    // The download itself was made (the ciphertext came through the gateway).
    expect(sent.some((r) => r.url.startsWith(`${world.fed.gateway.url}/v1/inquiries/`) && r.url.endsWith('/results/public_security'))).toBe(true);
  });
});
