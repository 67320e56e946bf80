import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadCatalogue, type Catalogue } from '../catalogue';
import { parseConfig } from '../config';
import { createLogger } from '../logger';
import { startGateway } from '../server';
import { loadPolicies } from './load-policies';

const REPO_POLICIES = fileURLToPath(new URL('../../policies', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

let dir: string;
let catalogue: Catalogue;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qiao-policies-'));
  await cp(REPO_POLICIES, dir, { recursive: true });
  catalogue = await loadCatalogue(join(dir, 'categories.json'));
});

/** Replaces `from` (which must occur once) in one of the copied policy files. */
async function edit(file: string, from: string, to: string): Promise<void> {
  const path = join(dir, file);
  const text = await readFile(path, 'utf8');
  expect(text.split(from)).toHaveLength(2);
  await writeFile(path, text.replace(from, to));
}
const lineOf = async (file: string, needle: string) => (await readFile(join(dir, file), 'utf8')).split('\n').findIndex((l) => l.includes(needle)) + 1;
const failure = async () => (await loadPolicies(dir, catalogue).then(() => expect.fail('the policies were accepted'), (e: Error) => e)).message;

describe('loadPolicies', () => {
  it('accepts the repository’s policies', async () => {
    const { policy, approvals } = await loadPolicies(REPO_POLICIES, catalogue);
    expect([...policy.policies.keys()]).toContain('approver-fills-next-step');
    expect(policy.policies.get('no-decision-on-own-inquiry')).toMatchObject({ effect: 'forbid', reason: 'nobody decides an inquiry they submitted' });
    expect(approvals.chains.highly_sensitive.map((s) => s.count)).toEqual([1, 2]);
  });

  it('stops on a Cedar syntax error, naming file, line and Cedar’s diagnostic', async () => {
    await edit('inquiries.cedar', 'when { context.hasDecided };', 'when { context.hasDecided ;');
    const line = await lineOf('inquiries.cedar', 'context.hasDecided ;');
    const message = await failure();
    expect(message).toBe(
      `${join(dir, 'inquiries.cedar')}:${line}: unexpected token \`;\` (expected \`!=\`, \`&&\`, \`(\`, \`*\`, \`+\`, \`-\`, \`.\`, \`<\`, \`<=\`, \`==\`, \`>\`, \`>=\`, \`[\`, \`||\`, \`}\`, \`has\`, \`in\`, \`is\`, or \`like\`)`,
    );
  });

  it('stops on a policy that violates the schema, naming the policy’s line and the attribute', async () => {
    await edit('results-and-oversight.cedar', 'principal.roles.contains("auditor") || principal.roles.contains("administrator")', 'principal.rank == "auditor"');
    const line = await lineOf('results-and-oversight.cedar', 'principal.rank');
    expect(await failure()).toBe(
      `${join(dir, 'results-and-oversight.cedar')}:${line}: for policy \`checkpoint-on-demand\`, attribute \`rank\` on entity type \`User\` not found; did you mean \`roles\`?`,
    );
  });

  it('stops on an unknown action or entity type', async () => {
    await edit('inquiries.cedar', 'Action::"withdraw_inquiry"', 'Action::"retract_inquiry"');
    expect(await failure()).toMatch(/inquiries\.cedar:\d+: .*retract_inquiry/);
  });

  it('stops on an unknown category in approvals.json, with its line', async () => {
    await edit('approvals.json', '"byCategory": {}', '"byCategory": {\n    "bank_statements": [{ "role": "regional_approver", "at": "region", "count": 3 }]\n  }');
    const line = await lineOf('approvals.json', '"bank_statements"');
    expect(await failure()).toBe(
      `${join(dir, 'approvals.json')}:${line}: byCategory.bank_statements: unknown category "bank_statements" (not in ${join(dir, 'categories.json')}; known: bank_accounts, bank_transactions, enterprises, grassland_contracts, household, household_members, public_officials, real_estate, social_assistance, subsidies, vehicles)`,
    );
  });

  it('stops on an approval chain that breaks the file’s schema, with its line', async () => {
    await edit('approvals.json', '{ "role": "regional_approver", "at": "region", "count": 2 }', '{ "role": "auditor", "at": "county", "count": 0 }');
    const line = await lineOf('approvals.json', '"auditor"');
    const problems = (await failure()).split('\n');
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`approvals\\.json:${line}: chains\\.highly_sensitive\\.1\\.at: `)),
      expect.stringMatching(new RegExp(`approvals\\.json:${line}: chains\\.highly_sensitive\\.1\\.count: `)),
    ]);
  });

  it('stops on a policy without an @id, and on an @id used twice', async () => {
    await edit('results-and-oversight.cedar', '@id("checkpoint-on-demand")\n', '');
    await edit('inquiries.cedar', '@id("submitter-withdraws")', '@id("approver-reads-subtree")');
    const message = await failure();
    expect(message).toMatch(/inquiries\.cedar:\d+: policy id "approver-reads-subtree" is already used at inquiries\.cedar:\d+/);
    expect(message).toMatch(/results-and-oversight\.cedar:\d+: every policy needs an @id/);
  });

  it('reports problems of the Cedar files and of approvals.json together', async () => {
    await edit('qiao.cedarschema', 'level: String,', 'level: Strin g,');
    await edit('approvals.json', '"7d"', '"a week"');
    const message = await failure();
    expect(message).toMatch(/qiao\.cedarschema:\d+: /);
    expect(message).toMatch(/approvals\.json:\d+: pendingExpiresAfter: must be a duration like 7d/);
  });
});

describe('the start', () => {
  it('is refused before anything else is opened when a policy is invalid', async () => {
    await edit('inquiries.cedar', 'principal.roles.contains("investigator") && resource == principal.unit', 'principal.roles.contains(42) && resource == principal.unit');
    const config = parseConfig({ QIAO_MODE: 'development', QIAO_POLICY_DIR: dir, QIAO_PKI_DIR: join(dir, 'no-pki-here'), QIAO_LOG_LEVEL: 'silent' });
    const err = await startGateway({ config, logger: createLogger({ level: 'silent' }) }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(new RegExp(`^${join(dir, 'inquiries.cedar')}:\\d+: .*`));
  });
});

describe('npm run policies:check', () => {
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'gateway/policy/check.ts'), ...args], { cwd: REPO_ROOT }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it('passes the repository’s policies and fails a broken copy, printing file and line', async () => {
    const good = await run([]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('highly_sensitive: 1 × approver at the league, then 2 × regional_approver at the region');
    await edit('approvals.json', '"utcOffset": "+08:00"', '"utcOffset": "Beijing"');
    const bad = await run([dir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`approvals\\.json:\\d+: fairUse\\.utcOffset: must be an offset like \\+08:00`));
  }, 20_000);
});
