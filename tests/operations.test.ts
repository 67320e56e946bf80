import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { DEMO_DEPARTMENTS } from '../adapters/departments';
import type { DataSource } from '../adapters/kit';
import type { DepartmentsView } from '../proto/api/departments';
import { LI } from '../adapters/departments/demo-world/li-family';
import { accessibilityProblems, HAVE_CHROMIUM, launchChromium, NO_CHROMIUM } from './console/browser';
import { bootConsoleWorld, logIn, type ConsoleWorld } from './console/console-world';

/**
 * What an operator sees after the federation ran an inquiry: the gateway's /metrics (on its own
 * listener, never on the API port), the departments view over the API and in the console. One
 * department's data source is broken, so the gateway has an answer and a refusal to count.
 */
if (!HAVE_CHROMIUM) console.warn(NO_CHROMIUM);

const finance = DEMO_DEPARTMENTS.finance!.createSource();
const brokenFinance: DataSource = {
  categories: finance.categories,
  async lookup() {
    throw new Error('the subsidy roll database is down');
  },
};

/** Parsed samples of a text exposition: name, labels, value. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

let world: ConsoleWorld;
let inquiryId: string;
let metricsText: string;

beforeAll(async () => {
  // One attempt per part: finance's refusal fails its part at once, so the counts below are exact.
  world = await bootConsoleWorld({ sources: { finance: brokenFinance }, env: { QIAO_MAX_ATTEMPTS: '1' } });
  inquiryId = await world.fed.runInquiry({
    investigator: 'inv.ejinhoro',
    approvers: ['appr.ordos'],
    categories: ['household', 'subsidies'],
    subjects: [{ kind: 'person', id: LI.id }],
  });
  await world.fed.drain();
  const api = await world.fed.as('inv.ejinhoro');
  await api.getInquiry(inquiryId);
  const res = await fetch(`${world.fed.gateway.metricsUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  metricsText = await res.text();
}, 240_000);
afterAll(() => world?.close());

describe("the gateway's /metrics after a federation run", () => {
  it('is on its own listener: the API port does not serve it, the metrics port serves nothing else', async () => {
    expect(world.fed.gateway.metricsUrl).toBeDefined();
    expect(new URL(world.fed.gateway.metricsUrl!).port).not.toBe(new URL(world.fed.gateway.url).port);
    expect((await fetch(`${world.fed.gateway.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${world.fed.gateway.metricsUrl}/v1/inquiries`)).status).toBe(404);
  });

  it('counts requests by route pattern, calls by department and outcome, refusals by code, inquiries, parts, audit and process', () => {
    const all = samples(metricsText);
    const find = (name: string, labels: Record<string, string> = {}) => all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    const one = (name: string, labels: Record<string, string> = {}) => {
      const found = find(name, labels);
      expect(found, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
      return found[0]!.value;
    };
    expect(one('qiao_http_request_duration_seconds_count', { method: 'POST', route: '/v1/inquiries/:id/approve', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(one('qiao_http_request_duration_seconds_count', { method: 'GET', route: '/v1/inquiries/:id', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(one('qiao_department_call_duration_seconds_count', { department: 'public_security', outcome: 'answered' })).toBe(1);
    expect(one('qiao_department_received_bytes_total', { department: 'public_security', outcome: 'answered' })).toBeGreaterThan(0);
    expect(one('qiao_department_call_duration_seconds_count', { department: 'finance', outcome: 'refused' })).toBe(1);
    expect(one('qiao_department_refusals_total', { department: 'finance', code: 'source_failed' })).toBe(1);
    expect(one('qiao_inquiries', { state: 'approved' })).toBeGreaterThanOrEqual(1);
    expect(one('qiao_inquiries', { state: 'expired' })).toBe(0);
    expect(one('qiao_inquiry_parts', { department: 'public_security', status: 'succeeded' })).toBe(1);
    expect(one('qiao_inquiry_parts', { department: 'finance', status: 'failed' })).toBe(1);
    expect(one('qiao_inquiry_parts', { department: 'finance', status: 'pending' })).toBe(0);
    expect(one('qiao_audit_appends_total', { action: 'inquiry.approved' })).toBeGreaterThanOrEqual(1);
    expect(one('qiao_audit_tree_size')).toBeGreaterThan(3);
    expect(one('qiao_audit_checkpoint_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(one('qiao_database_up')).toBe(1);
    expect(one('qiao_fanout_slots')).toBe(8);
    expect(one('qiao_fanout_slots_in_use')).toBe(0);
    expect(one('qiao_fanout_queue_depth')).toBe(0);
    expect(one('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(find('nodejs_eventloop_lag_seconds').length).toBe(1);
  });

  it('holds no subject id, inquiry id, part id, user name or raw path anywhere in the text', () => {
    expect(metricsText).not.toContain(LI.id);
    expect(metricsText).not.toContain(inquiryId);
    expect(metricsText).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    expect(metricsText).not.toMatch(/inv\.ejinhoro|appr\.ordos/);
    for (const s of samples(metricsText).filter((x) => x.labels.route)) expect(s.labels.route, 'a route pattern or unmatched').toMatch(/^(\/[\w.:*-]*)+$|^unmatched$/);
  });
});

describe('the departments view', () => {
  it('shows the auditor each department: public security answered, finance refused with source_failed', async () => {
    const api = await world.fed.as('auditor.region');
    const view = (await api.departments()) as DepartmentsView;
    const byName = Object.fromEntries(view.departments.map((d) => [d.name, d]));
    expect(byName.public_security).toMatchObject({ health: 'serving', configured: true, calls: 1, refusals: {} });
    expect(byName.public_security!.version).toMatch(/^qiao-adapter-kit\//);
    expect(byName.public_security!.servedCategories).toContain('household');
    expect(byName.public_security!.lastSuccessAt).not.toBeNull();
    expect(byName.finance).toMatchObject({ lastSuccessAt: null, refusals: { source_failed: 1 }, lastFailure: { outcome: 'refused' } });
    expect(JSON.stringify(view)).not.toContain(LI.id);
  });

  it('is what `qiao departments` prints, and refuses an investigator with the reason', async () => {
    const run = (as: string) => {
      const child = spawn(join(import.meta.dirname, '..', 'qiao'), ['--gateway', world.fed.gateway.url, '--as', as, '--pki-dir', world.fed.pki.dir, '--state-dir', join(world.fed.pki.dir, 'cli-state'), 'departments'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: join(import.meta.dirname, '..'),
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
      return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
    };
    const ok = await run('auditor.region');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const line = (name: string) => ok.stdout.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
    expect(line('public_security')).toMatch(/serving\s+qiao-adapter-kit\/\S+\s+household/);
    expect(line('finance')).toMatch(/refused.*source_failed 1/);
    expect(ok.stdout).toMatch(/calls counted by the gateway replica that answered, since /);
    const refused = await run('inv.ejinhoro');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/auditors, administrators and a department operator/);
  }, 120_000);

  it.skipIf(!HAVE_CHROMIUM)('lists them on the console page for the auditor, in Chinese, accessibly', async () => {
    const browser: Browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
      const page = await logIn(world, context, 'auditor.region');
      await page.getByRole('navigation').getByRole('link', { name: '部门接口' }).click();
      await page.getByRole('heading', { name: '各部门接口状态' }).waitFor();
      const row = page.getByRole('row').filter({ hasText: 'public_security' });
      await row.getByText('正常应答').waitFor();
      await row.getByText(/qiao-adapter-kit\//).waitFor();
      await page.getByRole('row').filter({ hasText: 'finance' }).getByText('source_failed').waitFor();
      expect(await accessibilityProblems(page), 'departments page').toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
