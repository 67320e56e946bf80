import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { auditLogEntries } from '../../db/schema';
import { openTestDatabase } from '../../db/testing';
import { createAuditWriter } from './commitments';
import { hashPolicyFiles, recordConfiguration } from './record-configuration';

const writer = createAuditWriter(randomBytes(32));
const REPO_POLICIES = fileURLToPath(new URL('../../../policies', import.meta.url));

let database: Database;
let policyDir: string;
beforeAll(async () => {
  database = await openTestDatabase();
  policyDir = await mkdtemp(join(tmpdir(), 'qiao-policies-'));
  await cp(REPO_POLICIES, policyDir, { recursive: true });
});
afterAll(() => database?.close());

const logged = async () =>
  (await database.db.select().from(auditLogEntries).orderBy(asc(auditLogEntries.idx))).map((r) => JSON.parse(r.entry) as { action: string; details: Record<string, unknown> });

describe('policy and key changes in the audit log', () => {
  const keys = { warrantSigning: 'kid-1', checkpointSigning: 'cp-1', auditCommitment: 'c-1' };

  it('records what a gateway runs by at its first start, then only what changed', async () => {
    const catalogue = join(policyDir, 'categories.json');
    const files = await hashPolicyFiles(policyDir, catalogue);
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['approvals.json', 'categories.json', 'inquiries.cedar', 'qiao.cedarschema']));

    expect(await recordConfiguration(database.db, { policyFiles: files, keys }, writer)).toEqual(['policy.changed', 'keys.changed']);
    expect((await logged()).map((e) => [e.action, e.details.first])).toEqual([['policy.changed', true], ['keys.changed', true]]);

    // A restart with the same rules and keys adds nothing.
    expect(await recordConfiguration(database.db, { policyFiles: files, keys }, writer)).toEqual([]);

    // An operator edits a policy file between two starts: the log says which.
    await appendFile(join(policyDir, 'inquiries.cedar'), '\n// tightened after review\n');
    const edited = await hashPolicyFiles(policyDir, catalogue);
    expect(await recordConfiguration(database.db, { policyFiles: edited, keys }, writer)).toEqual(['policy.changed']);
    const last = (await logged()).at(-1)!;
    expect(last.details).toMatchObject({ changed: ['inquiries.cedar'], first: false });

    // A rotated warrant key.
    expect(await recordConfiguration(database.db, { policyFiles: edited, keys: { ...keys, warrantSigning: 'kid-2' } }, writer)).toEqual(['keys.changed']);
    expect((await logged()).at(-1)!.details).toMatchObject({ changed: ['warrantSigning'] });
  });
});
