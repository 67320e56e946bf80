import { directoryReceiptKeys } from '../client/cli/directory-keys';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBankSource } from '../adapters/departments/bank';
import { MUHUDUNBAO_COOPERATIVE } from '../adapters/departments/demo-world/world';
import { fetchAndDecrypt, ResultCheckError, waitForResults, type ResultSummary } from '../client/core/results';
import { resultChunks, results } from '../gateway/db/schema';
import { signReceipt, type ReceiptClaims } from '../proto/receipt';
import { splitPieces } from '../proto/result-envelope';
import { bootFederation, type Federation } from './harness/federation';

/**
 * A compromised gateway (or anyone with write access to its database) alters a stored result and
 * keeps its own bookkeeping consistent (byte count, digest, chunk rows): the command line must
 * still refuse it, naming the check that failed.
 */
const TRANSACTIONS = 3000; // ≈ 1 MB: about 15 frames

let fed: Federation;
let inquiryA: string;
let inquiryB: string;
let partA: { partId: string; warrantId: string };
let original: Buffer[];
let originalReceipt: string;

async function bankResult(inquiryId: string) {
  await fed.drain();
  const listing = await waitForResults(await fed.as('inv.ejinhoro'), inquiryId, 0);
  const summary = listing.results.find((r) => r.department === 'bank')!;
  expect(summary.status).toBe('succeeded');
  const [row] = await fed.gateway.database.db.select().from(results).where(and(eq(results.inquiryId, inquiryId), eq(results.department, 'bank')));
  return { summary, partId: row!.partId, warrantId: row!.warrantId };
}

async function storedPieces(partId: string, warrantId: string): Promise<Buffer[]> {
  const rows = await fed.gateway.database.db
    .select()
    .from(resultChunks)
    .where(and(eq(resultChunks.partId, partId), eq(resultChunks.warrantId, warrantId)))
    .orderBy(resultChunks.seq);
  return splitPieces(Buffer.concat(rows.map((r) => Buffer.from(r.data)))).map((p) => Buffer.from(p));
}

/** Replaces the stored result by `pieces`, fixing up every figure the gateway keeps about it. */
async function rewrite(pieces: Buffer[], receipt: string = originalReceipt) {
  const { db } = fed.gateway.database;
  const bytes = Buffer.concat(pieces);
  await db.transaction(async (tx) => {
    await tx.delete(resultChunks).where(and(eq(resultChunks.partId, partA.partId), eq(resultChunks.warrantId, partA.warrantId)));
    for (const [seq, data] of pieces.entries()) await tx.insert(resultChunks).values({ ...partA, seq, data });
    await tx
      .update(results)
      .set({ bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), chunks: pieces.length, receipt })
      .where(eq(results.partId, partA.partId));
  });
}

async function readA(): Promise<string> {
  const investigator = await fed.as('inv.ejinhoro');
  const listing = await waitForResults(investigator, inquiryA, 0);
  const summary = listing.results.find((r) => r.department === 'bank') as ResultSummary;
  try {
    const records = await fetchAndDecrypt(investigator, inquiryA, summary, {
      privateKey: fed.pki.units['150627']!.privateJwk,
      receiptKeys: directoryReceiptKeys(join(fed.pki.dir, 'directory')),
    });
    return `ok: ${records.length} records`;
  } catch (error) {
    if (error instanceof ResultCheckError) return error.message;
    throw error;
  }
}

beforeAll(async () => {
  fed = await bootFederation({ sources: { bank: createBankSource({ volume: { [MUHUDUNBAO_COOPERATIVE]: TRANSACTIONS } }) } });
  const inquiry = () =>
    fed.runInquiry({
      investigator: 'inv.ejinhoro',
      approvers: ['appr.ordos', 'appr.region', 'appr2.region'],
      subjects: [{ kind: 'organisation', id: MUHUDUNBAO_COOPERATIVE }],
      categories: ['bank_transactions'],
    });
  [inquiryA, inquiryB] = [await inquiry(), await inquiry()];
  const a = await bankResult(inquiryA);
  await bankResult(inquiryB);
  partA = { partId: a.partId, warrantId: a.warrantId };
  original = await storedPieces(a.partId, a.warrantId);
  originalReceipt = a.summary.receipt!;
  expect(original.length).toBeGreaterThan(10);
}, 180_000); // the federation boots eight department adapters: on a loaded machine that outlasts a minute
afterAll(async () => fed?.close());

describe('a stored result altered at the gateway is refused by the command line, naming the failed check', () => {
  it('intact, it decrypts to every transaction', async () => {
    await rewrite(original);
    expect(await readA()).toBe(`ok: ${TRANSACTIONS} records`);
  });

  const frame = (i: number) => original[i + 1]!; // piece 0 is the header block
  const cases: [string, () => Promise<Buffer[]>, RegExp][] = [
    ['a flipped bit', async () => original.map((p, i) => (i === 5 ? Buffer.from(p).fill(p[100]! ^ 1, 100, 101) : p)), /frame-authentication check failed: frame 4 /],
    ['a dropped frame', async () => original.filter((_, i) => i !== 4), /frame-authentication check failed: frame 3 /],
    ['two frames reordered', async () => [original[0]!, frame(1), frame(0), ...original.slice(3)], /frame-authentication check failed: frame 0 /],
    ['the final frame cut off', async () => original.slice(0, -1), /truncated check failed: .*not the final frame/],
    ['truncated inside a frame', async () => [...original.slice(0, -1), original.at(-1)!.subarray(0, 50)], /truncated check failed: the result ends inside frame/],
    ['a frame appended after the final one', async () => [...original, frame(0)], /(extended check failed|receipt check failed: more than)/],
    ['a frame spliced in from another result', async () => {
      const b = await bankResult(inquiryB);
      const other = await storedPieces(b.partId, b.warrantId);
      return original.map((p, i) => (i === 3 ? other[3]! : p));
    }, /frame-authentication check failed: frame 2 /],
    ['the whole result of another inquiry (with its header)', async () => {
      const b = await bankResult(inquiryB);
      return storedPieces(b.partId, b.warrantId);
    }, /frame-authentication check failed: frame 0 /],
  ];
  it.each(cases)('%s', async (_name, tamper, expected) => {
    await rewrite(await tamper());
    expect(await readA()).toMatch(expected);
  });

  describe('receipts', () => {
    const department = () => fed.pki.receiptKeys.bank!;
    async function genuineClaims(): Promise<ReceiptClaims> {
      const [row] = await fed.gateway.database.db.select().from(results).where(eq(results.partId, partA.partId));
      return JSON.parse(Buffer.from(row!.receipt!.split('.')[1]!, 'base64url').toString()) as ReceiptClaims;
    }

    it('a receipt that does not match the ciphertext (even one signed with the department key) is refused', async () => {
      const claims = await genuineClaims();
      const wrong = await signReceipt({ ...claims, ciphertext_sha256: 'ab'.repeat(32) }, department().privateJwk);
      await rewrite(original, wrong);
      expect(await readA()).toMatch(/receipt check failed: ciphertext SHA-256 [0-9a-f]{64} does not match the receipt's abab/);
    });

    it('a receipt with another byte count is refused', async () => {
      const claims = await genuineClaims();
      await rewrite(original, await signReceipt({ ...claims, bytes: claims.bytes - 1 }, department().privateJwk));
      expect(await readA()).toMatch(/receipt check failed: more than the \d+ bytes the receipt names arrived/);
    });

    it('a receipt forged by the gateway (its own key) is refused', async () => {
      const claims = await genuineClaims();
      await rewrite(original, await signReceipt(claims, { ...fed.pki.warrantKey.privateJwk, kid: department().publicJwk.kid }));
      expect(await readA()).toMatch(/receipt check failed: receipt of bank signature does not verify/);
    });

    it("another inquiry's genuine receipt is refused", async () => {
      const b = await bankResult(inquiryB);
      await rewrite(original, b.summary.receipt!);
      expect(await readA()).toMatch(/receipt check failed: receipt is for warrant/);
    });

    it('a result without a receipt is refused', async () => {
      await fed.gateway.database.db.update(results).set({ receipt: null }).where(eq(results.partId, partA.partId));
      expect(await readA()).toMatch(/receipt check failed: the result has no receipt/);
    });
  });

  describe('the `qiao results` command', () => {
    function qiao(out: string): Promise<{ code: number | null; stderr: string }> {
      // The command users run: ./qiao, the built command line.
      const child = spawn(join(import.meta.dirname, '..', 'qiao'), ['--gateway', fed.gateway.url, '--as', 'inv.ejinhoro',
        '--pki-dir', fed.pki.dir, '--state-dir', join(fed.pki.dir, 'cli-state'), 'results', inquiryA, '--format', 'ndjson', '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
      return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
    }

    it('writes every record of an intact result, and says what it verified', async () => {
      await rewrite(original);
      const out = join(fed.pki.dir, 'intact.ndjson');
      const { code, stderr } = await qiao(out);
      expect(stderr).toContain(`bank: ${TRANSACTIONS} records; receipt, frames and digest verified`);
      expect(code).toBe(0);
      const lines = (await readFile(out, 'utf8')).trimEnd().split('\n');
      expect(lines).toHaveLength(TRANSACTIONS);
      expect(JSON.parse(lines[0]!)).toMatchObject({ department: 'bank', category: 'bank_transactions', subject: MUHUDUNBAO_COOPERATIVE });
    }, 30_000);

    it('exits with an error naming the failed check and removes the records it had written', async () => {
      await rewrite(original.map((p, i) => (i === original.length - 2 ? Buffer.from(p).fill(p[200]! ^ 0x80, 200, 201) : p)));
      const out = join(fed.pki.dir, 'tampered.ndjson');
      const { code, stderr } = await qiao(out);
      expect(code).toBe(2);
      expect(stderr).toMatch(/qiao: bank: frame-authentication check failed: frame \d+ does not authenticate/);
      expect(stderr).toContain(`${out} removed`);
      expect(existsSync(out)).toBe(false);
    }, 30_000);
  });
});
