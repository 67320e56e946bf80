import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LI, LI_HOUSEHOLD, LI_SON_ELDER, LI_SON_YOUNGER, LI_WIFE, PLANTED } from '../adapters/departments/demo-world/world';
import { bootFederation, type Federation } from './harness/federation';

/** `qiao compare` as users run it: the built command line against a whole federation. */
function qiao(fed: Federation, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(join(import.meta.dirname, '..', 'qiao'), ['--gateway', fed.gateway.url, '--as', 'inv.ejinhoro', '--pki-dir', fed.pki.dir,
    '--state-dir', join(fed.pki.dir, 'cli-state'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: join(import.meta.dirname, '..') });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('qiao compare and qiao catalogue over a federation', () => {
  let fed: Federation;
  let inquiry: string;
  beforeAll(async () => {
    fed = await bootFederation();
    inquiry = await fed.runInquiry({
      investigator: 'inv.ejinhoro', approvers: ['appr.ordos'], categories: ['household', 'household_members', 'subsidies'],
      subjects: [LI, LI_SON_ELDER, LI_SON_YOUNGER].map((p) => ({ kind: 'person' as const, id: p.id })),
    });
    await fed.drain();
  }, 180_000);
  afterAll(() => fed?.close());

  it("finds Li's double declaration in the decrypted answers of public security and finance, each finding with its records", async () => {
    const { code, stdout, stderr } = await qiao(fed, ['compare', inquiry, '--model', 'grassland-declared-twice', '--format', 'json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { findings: { details: Record<string, unknown>; records: { ref: string; department: string; record: Record<string, unknown> }[] }[] };
    expect(out.findings.map((f) => [f.details.household_id, f.details.area_mu])).toEqual([[LI_HOUSEHOLD, 298], [LI_HOUSEHOLD, 312.5]]);
    for (const f of out.findings) {
      expect(new Set(f.records.map((r) => r.department))).toEqual(new Set(['finance', 'public_security']));
      for (const r of f.records) expect(r.ref).toMatch(new RegExp(`^${inquiry}/(finance|public_security)/\\d+$`));
    }
  }, 60_000);

  it('says which categories a model needs that the inquiries did not ask for, and names an unknown model', async () => {
    const partial = await qiao(fed, ['compare', inquiry, '--model', 'assistance-to-owners']);
    expect(partial.code).toBe(0);
    expect(partial.stderr).toContain('no records of social_assistance, real_estate, vehicles, enterprises in these inquiries');
    expect(partial.stdout).toContain('0 findings');
    const unknown = await qiao(fed, ['compare', inquiry, '--model', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/qiao: no model nope in models; models there: assistance-to-owners, grassland-declared-twice/);
  }, 60_000);

  it("finds Saren's allowance while she held a stake through a merger, and follows the merged cooperative to the one that absorbed it", async () => {
    const { recipient, merged, mergedInto } = PLANTED.assistanceWithMergedCooperative;
    const saren = await fed.runInquiry({
      investigator: 'inv.ejinhoro', approvers: ['appr.ordos'], categories: ['social_assistance', 'household_members', 'enterprises'],
      subjects: [{ kind: 'person', id: recipient }],
    });
    const cooperative = await fed.runInquiry({
      investigator: 'inv.ejinhoro', approvers: ['appr.ordos'], categories: ['enterprises'], subjects: [{ kind: 'organisation', id: merged }],
    });
    await fed.drain();
    const compared = await qiao(fed, ['compare', saren, '--model', 'assistance-to-owners', '--format', 'json']);
    expect(compared.code).toBe(0);
    const out = JSON.parse(compared.stdout) as { findings: { details: Record<string, unknown>; records: { department: string; record: Record<string, unknown> }[] }[] };
    expect(out.findings.map((f) => f.details.recipient_id)).toEqual([recipient]);
    expect(out.findings[0]!.records.filter((r) => r.department === 'market_regulation').map((r) => r.record.credit_code)).toEqual([mergedInto]);
    // The merged cooperative's own record names the one it was merged into: a follow-up can ask about it.
    const dry = await qiao(fed, ['follow-up', cooperative, '--from', 'enterprises', '--category', 'enterprises', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`subjects from enterprises of inquiry ${cooperative}: ${mergedInto} (organisation), `);
    expect(dry.stdout).toContain(recipient);
  }, 120_000);

  it('qiao catalogue shows every department serving, with its categories, and what each category needs', async () => {
    const { code, stdout } = await qiao(fed, ['catalogue', '--json']);
    expect(code).toBe(0);
    const catalogue = JSON.parse(stdout) as { departments: { name: string; health: string }[]; categories: { name: string; department: string }[] };
    expect(catalogue.departments.map((d) => [d.name, d.health])).toEqual(
      ['bank', 'civil_affairs', 'finance', 'market_regulation', 'natural_resources', 'organisation', 'public_security', 'vehicle_administration'].map((d) => [d, 'serving']),
    );
    expect(catalogue.categories.find((c) => c.name === 'subsidies')?.department).toBe('finance');
    const table = await qiao(fed, ['catalogue']);
    expect(table.stdout).toMatch(/bank_transactions\s+bank\s+highly_sensitive\s+1× approver \(league\) → 2× regional_approver \(region\)/);
  }, 60_000);

  it('qiao follow-up asks about the household members the answer names, linked to its parent, with its own approval', async () => {
    const count = async () => (await (await fed.as('inv.ejinhoro')).listInquiries({ limit: 200 })).items.length;
    const before = await count();
    const dry = await qiao(fed, ['follow-up', inquiry, '--from', 'household_members', '--category', 'real_estate', 'vehicles', '--dry-run']);
    expect(dry.code).toBe(0);
    // Li and his sons are the parent's subjects already: only his wife is new.
    expect(dry.stdout).toContain(`subjects from household_members of inquiry ${inquiry}: ${LI_WIFE.id}\n`);
    expect(await count()).toBe(before);

    const submitted = await qiao(fed, ['follow-up', inquiry, '--from', 'household_members', '--category', 'real_estate', 'vehicles']);
    expect(submitted.code).toBe(0);
    const child = /follow-up inquiry (\S+) submitted/.exec(submitted.stdout)![1]!;
    const view = await (await fed.as('inv.ejinhoro')).getInquiry(child);
    expect(view).toMatchObject({ parentId: inquiry, status: 'pending_approval', subjects: [{ kind: 'person', id: LI_WIFE.id }], categories: ['real_estate', 'vehicles'] });
    expect(view.purpose).toBe(`follow-up of inquiry ${inquiry}`);
    await (await fed.as('appr.ordos')).approve(child, { comment: 'follow-up approved' });
    await fed.drain();
    expect((await qiao(fed, ['show', child])).stdout).toContain(`follow-up of: ${inquiry}`);
    expect((await qiao(fed, ['show', inquiry])).stdout).toMatch(new RegExp(`follow-ups: ${child} \\(\\w+\\)`));
    expect((await qiao(fed, ['list'])).stdout).toMatch(new RegExp(`${child}.*${inquiry}`));

    const nobody = await qiao(fed, ['follow-up', inquiry, '--from', 'household', '--category', 'vehicles']);
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toContain(`qiao: the household records of inquiry ${inquiry} name nobody who is not already one of its subjects`);
  }, 120_000);
});
