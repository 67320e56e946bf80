import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyReceipt } from '../../../proto/receipt';
import { decryptResult, RESULT_FORMAT } from '../../../proto/result-envelope';
import { auditEvents, inquiryParts, resultChunks, results } from '../../db/schema';
import { testUnitKey } from '../../fanout/test-fixtures';
import { createTestGateway, type StoredResult, type TestGateway } from '../../testing/harness';
import { openResultStream } from '../../services/result/read-result';
import { createDownloadSlots } from '../../services/result/download-slots';

let gw: TestGateway;
const CHUNK = 16 * 1024;

beforeAll(async () => {
  gw = await createTestGateway();
});
afterAll(() => gw?.close());

/** An approved inquiry for public security (household) and natural resources (grassland contracts). */
async function approvedInquiry(): Promise<string> {
  const submitted = await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody({ categories: ['household', 'grassland_contracts'] }));
  expect((await gw.as(gw.users.approver).approve(submitted.body.id)).status).toBe(200);
  return submitted.body.id;
}

/** public_security's answer: 7 records of about 32 KB of random base64 (which deflates to about 3/4), some 170 KB of ciphertext in 16 KiB chunks; natural_resources failed. */
async function answer(id: string): Promise<StoredResult> {
  const stored = await gw.storeResult(id, 'public_security', { chunkSize: CHUNK, records: 7, recordBytes: 32_000 });
  await gw.db
    .update(inquiryParts)
    .set({ status: 'failed', attempts: 5, failureReason: 'department unavailable until deadline' })
    .where(and(eq(inquiryParts.inquiryId, id), eq(inquiryParts.department, 'natural_resources')));
  return stored;
}

describe('GET /v1/inquiries/:id/results', () => {
  let id: string;
  beforeAll(async () => {
    id = await approvedInquiry();
  });

  it('lists each department’s part, with result metadata once it has answered', async () => {
    const before = await gw.as(gw.users.investigator).results(id);
    expect(before.status).toBe(200);
    expect(before.body).toEqual({
      inquiryId: id,
      status: 'running',
      recipientUnit: '150627',
      results: [
        expect.objectContaining({ department: 'natural_resources', categories: ['grassland_contracts'], status: 'pending', format: null, sha256: null }),
        expect.objectContaining({ department: 'public_security', categories: ['household'], status: 'pending', warrantId: null }),
      ],
    });

    const stored = await answer(id);
    const after = await gw.as(gw.users.investigator).results(id);
    expect(after.body.status).toBe('partially_completed');
    expect(after.body.results).toEqual([
      {
        department: 'natural_resources',
        categories: ['grassland_contracts'],
        status: 'failed',
        attempts: 5,
        failureReason: 'department unavailable until deadline',
        format: null,
        records: null,
        bytes: null,
        sha256: null,
        warrantId: null,
        receipt: null,
      },
      {
        department: 'public_security',
        categories: ['household'],
        status: 'succeeded',
        attempts: 1,
        failureReason: null,
        format: RESULT_FORMAT,
        records: 7,
        bytes: stored.ciphertext.length,
        sha256: stored.sha256,
        warrantId: stored.warrantId,
        receipt: stored.receipt,
      },
    ]);
    // The receipt is the department's, over exactly what is stored.
    const receipt = await verifyReceipt(stored.receipt, {
      department: 'public_security',
      warrantId: stored.warrantId,
      publicJwk: (await gw.receiptKey('public_security')).publicJwk,
    });
    expect(receipt).toMatchObject({ inquiry_id: id, records: 7, bytes: stored.ciphertext.length, ciphertext_sha256: stored.sha256 });
  });

  it('is for investigators of the requesting unit: approvers get 403, other units 404', async () => {
    expect((await gw.as(gw.users.colleague).results(id)).status).toBe(200);
    expect((await gw.as(gw.users.approver).results(id)).status).toBe(403);
    const other = await gw.as(gw.users.otherInvestigator).results(id);
    expect(other.status).toBe(404);
    expect(other.error?.message).toBe('inquiry not found');
  });
});

describe('GET /v1/inquiries/:id/results/:department', () => {
  // An inquiry of these tests' own, answered as the listing test answers its one.
  let id: string;
  let stored: StoredResult;
  beforeAll(async () => {
    id = await approvedInquiry();
    stored = await answer(id);
  });

  it('streams the stored ciphertext byte for byte with its metadata, and audits the download', async () => {
    const res = await gw.as(gw.users.investigator).download(id, 'public_security');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-length')).toBe(String(stored.ciphertext.length));
    expect(res.headers.get('x-qiao-format')).toBe(RESULT_FORMAT);
    expect(res.headers.get('x-qiao-records')).toBe('7');
    expect(res.headers.get('x-qiao-sha256')).toBe(createHash('sha256').update(stored.ciphertext).digest('hex'));
    expect(Buffer.from(res.bytes).equals(stored.ciphertext)).toBe(true);
    // What production stores: the unit's key opens it, and nobody else's.
    const records = await decryptResult(res.bytes, testUnitKey('150627').privateJwk, { warrantId: stored.warrantId, department: 'public_security' });
    expect(records).toHaveLength(7);
    await expect(decryptResult(res.bytes, testUnitKey('150621').privateJwk, { warrantId: stored.warrantId, department: 'public_security' })).rejects.toThrow(/header-decryption/);
    const audit = await gw.db.select().from(auditEvents).where(eq(auditEvents.inquiryId, id));
    expect(audit.at(-1)).toMatchObject({
      action: 'result.downloaded',
      actorUserId: gw.users.investigator.id,
      requestId: res.headers.get('x-request-id'),
      details: { department: 'public_security', warrantId: res.headers.get('x-qiao-warrant-id'), bytes: stored.ciphertext.length },
    });
  });

  it('audits each of several downloads started at once, with its own request id, and serves each whole', async () => {
    const downloaded = async () => (await gw.db.select().from(auditEvents).where(eq(auditEvents.inquiryId, id))).filter((e) => e.action === 'result.downloaded');
    const before = (await downloaded()).length;
    const responses = await Promise.all(Array.from({ length: 4 }, () => gw.as(gw.users.investigator).download(id, 'public_security')));
    for (const res of responses) {
      expect(res.status).toBe(200);
      expect(Buffer.from(res.bytes).equals(stored.ciphertext)).toBe(true);
    }
    const entries = (await downloaded()).slice(before);
    expect(entries.map((e) => e.requestId).sort()).toEqual(responses.map((r) => r.headers.get('x-request-id')).sort());
  });

  it('reads the chunks as the body is consumed, not all at once', async () => {
    let pulled = 0;
    const counting = await createTestGateway({
      database: gw.database,
      results: {
        async *openResultStream(partId, warrantId) {
          for await (const chunk of openResultStream(gw.db, partId, warrantId, { batchSize: 1 })) {
            pulled++;
            yield chunk;
          }
        },
      },
    });
    const res = await counting.app.request(`/v1/inquiries/${id}/results/public_security`, {
      headers: { authorization: `Bearer ${counting.users.investigator.token}` },
    });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.value!.byteLength).toBe(CHUNK);
    // Ten chunks or more are stored; only the few the stream buffers ahead have been read.
    const chunks = Math.ceil(stored.ciphertext.length / CHUNK);
    expect(chunks).toBeGreaterThanOrEqual(10);
    expect(pulled).toBeLessThanOrEqual(3);
    let received = first.value!.byteLength;
    for (let next = await reader.read(); !next.done; next = await reader.read()) received += next.value.byteLength;
    expect(received).toBe(stored.ciphertext.length);
    expect(pulled).toBe(chunks);
  });

  it('serves at most QIAO_MAX_DOWNLOADS at once: one more that finds no place freed within its wait answers 429 with Retry-After, unaudited, and a finished or abandoned download frees its place', async () => {
    const slots = createDownloadSlots(1, { waitMs: 50 });
    const limited = await createTestGateway({
      database: gw.database,
      results: { openResultStream: (partId, warrantId) => openResultStream(gw.db, partId, warrantId, { batchSize: 1 }), downloads: slots },
    });
    const get = () => limited.app.request(`/v1/inquiries/${id}/results/public_security`, { headers: { authorization: `Bearer ${limited.users.investigator.token}` } });
    const downloads = async () => (await gw.db.select().from(auditEvents).where(eq(auditEvents.inquiryId, id))).filter((e) => e.action === 'result.downloaded').length;
    const first = await get();
    const reader = first.body!.getReader();
    await reader.read(); // the first download is under way, holding its place
    const audited = await downloads();
    const refused = await get();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'resource_exhausted',
      message: expect.stringMatching(/serving 1 downloads already.*QIAO_MAX_DOWNLOADS.*try again/),
    });
    expect(await downloads()).toBe(audited);
    while (!(await reader.read()).done);
    await expect.poll(() => slots.inUse).toBe(0);
    // An abandoned download frees its place too.
    const second = await get();
    expect(second.status).toBe(200);
    await second.body!.cancel();
    await expect.poll(() => slots.inUse).toBe(0);
    expect((await get()).status).toBe(200);
    await limited.close();
  });

  it('lets a download past QIAO_MAX_DOWNLOADS wait for the place a finishing one frees, instead of refusing it', async () => {
    const slots = createDownloadSlots(1, { waitMs: 30_000 });
    const limited = await createTestGateway({
      database: gw.database,
      results: { openResultStream: (partId, warrantId) => openResultStream(gw.db, partId, warrantId, { batchSize: 1 }), downloads: slots },
    });
    const get = () => limited.app.request(`/v1/inquiries/${id}/results/public_security`, { headers: { authorization: `Bearer ${limited.users.investigator.token}` } });
    const first = await get();
    const reader = first.body!.getReader();
    await reader.read();
    const waiting = get();
    await expect.poll(() => slots.waiting).toBe(1);
    while (!(await reader.read()).done);
    const served = await waiting;
    expect(served.status).toBe(200);
    await served.body!.cancel();
    await expect.poll(() => slots.inUse).toBe(0);
    await limited.close();
  });

  it('says why there is nothing to download yet', async () => {
    const failed = await gw.as(gw.users.investigator).download(id, 'natural_resources');
    expect(failed.status).toBe(409);
    expect(failed.error?.message).toBe('no result from natural_resources yet: the part failed: department unavailable until deadline');
    const none = await gw.as(gw.users.investigator).download(id, 'bank_supervision');
    expect(none.status).toBe(404);
    const bogus = await gw.as(gw.users.investigator).download(id, '..%2F..%2Fetc');
    expect(bogus.status).toBe(404);
  });

  it('refuses approvers (403) and other units (404, as if missing), logging nothing of the result', async () => {
    expect((await gw.as(gw.users.approver).download(id, 'public_security')).status).toBe(403);
    const other = await gw.as(gw.users.otherInvestigator).download(id, 'public_security');
    const missing = await gw.as(gw.users.otherInvestigator).download('00000000-0000-4000-8000-000000000000', 'public_security');
    expect(other.status).toBe(404);
    expect({ ...other.error, requestId: '' }).toEqual({ ...missing.error, requestId: '' });
  });

  it('cuts the transfer short when the reader fails midway, so the client sees an incomplete body', async () => {
    const failing = await createTestGateway({
      database: gw.database,
      results: {
        async *openResultStream() {
          yield new Uint8Array(10);
          throw new Error('connection to the database lost');
        },
      },
    });
    const res = await failing.app.request(`/v1/inquiries/${id}/results/public_security`, {
      headers: { authorization: `Bearer ${failing.users.investigator.token}` },
    });
    // The failing gateway's investigator is of the same unit, so the download is allowed.
    expect(res.status).toBe(200);
    const body = new Uint8Array(await res.arrayBuffer());
    expect(body.byteLength).toBeLessThan(Number(res.headers.get('content-length')));
    expect(failing.logs.join('\n')).toContain('result stream failed');
  });
});

describe('GET /v1/inquiries/:id/results/:department of a small result', () => {
  it('serves the ciphertext read with the part (all its chunks), without opening the chunk stream, and audits it as any download', async () => {
    const id = await approvedInquiry();
    const stored = await gw.storeResult(id, 'public_security', { chunkSize: 1024, records: 3, recordBytes: 2_000 });
    const [row] = await gw.db.select({ chunks: results.chunks, bytes: results.bytes }).from(results).where(eq(results.inquiryId, id));
    expect(row!.chunks).toBeGreaterThan(3);
    expect(row!.bytes).toBeLessThanOrEqual(64 * 1024);
    let opened = 0;
    const counting = await createTestGateway({
      database: gw.database,
      results: {
        openResultStream(partId, warrantId) {
          opened++;
          return openResultStream(gw.db, partId, warrantId);
        },
      },
    });
    const res = await counting.as(counting.users.investigator).download(id, 'public_security');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(stored.ciphertext.length));
    expect(Buffer.from(res.bytes).equals(stored.ciphertext)).toBe(true);
    expect(opened).toBe(0);
    const records = await decryptResult(res.bytes, testUnitKey('150627').privateJwk, { warrantId: stored.warrantId, department: 'public_security' });
    expect(records).toHaveLength(3);
    const audit = await gw.db.select().from(auditEvents).where(eq(auditEvents.inquiryId, id));
    expect(audit.at(-1)).toMatchObject({ action: 'result.downloaded', requestId: res.headers.get('x-request-id') });
    await counting.close();
  });

  it('streams a small result whose chunks are not all there, so the gap is found as for any other', async () => {
    const id = await approvedInquiry();
    const stored = await gw.storeResult(id, 'public_security', { chunkSize: 1024, records: 3, recordBytes: 2_000 });
    await gw.db.delete(resultChunks).where(and(eq(resultChunks.warrantId, stored.warrantId), eq(resultChunks.seq, 2)));
    const res = await gw.app.request(`/v1/inquiries/${id}/results/public_security`, { headers: { authorization: `Bearer ${gw.users.investigator.token}` } });
    expect(res.status).toBe(200);
    const body = new Uint8Array(await res.arrayBuffer());
    expect(body.byteLength).toBeLessThan(stored.ciphertext.length);
    expect(gw.logs.join('\n')).toMatch(/missing chunk 2/);
  });
});
