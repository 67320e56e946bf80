/**
 * A department that goes away and comes back, and a connection that goes silent, between the
 * gateway and a real mutual-TLS gRPC department: a fault proxy (../departments/fault-proxy.ts)
 * sits on the way. Bounded: every wait has a limit, and everything is closed at the end.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq, inArray } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevPki, type DevPki } from '../../certs-dev/pki';
import { encryptResult, RESULT_FORMAT } from '../../proto/result-envelope';
import { verifyWarrant } from '../../proto/warrant';
import { loadCatalogue } from '../catalogue';
import { parseDuration } from '../config';
import type { Database } from '../db/client';
import { inquiryParts, results } from '../db/schema';
import { openTestDatabase } from '../db/testing';
import { startFaultProxy, type FaultProxy } from '../departments/fault-proxy';
import { createGrpcDepartmentDirectory } from '../departments/grpc-client';
import { startTestDepartment, type TestDepartment } from '../departments/test-department';
import { createAuditWriter } from '../services/audit/append-audit';
import { seedApprovedInquiry } from './test-fixtures';
import { DEFAULT_CATALOGUE_FILE, startFanoutWorker, type FanoutWorkerOptions } from './worker';

const UNIT = '150627';
let dir: string;
let pki: DevPki;
let database: Database;
let department: TestDepartment;
let proxy: FaultProxy;
/** When set, the department sends the header and a first chunk, then waits for it before the rest. */
let holdMidway: Promise<void> | null = null;
let midway: () => void = () => {};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'qiao-outage-'));
  [pki, database] = await Promise.all([ensureDevPki({ dir, departments: ['public_security'], units: [UNIT] }), openTestDatabase()]);
  department = await startTestDepartment({
    serverCert: pki.departments.public_security!,
    clientCa: pki.caCert,
    execute: async (warrant, call) => {
      const claims = await verifyWarrant(warrant, { keys: pki.warrantKey.publicJwks.keys, audience: 'public_security' });
      const records = Array.from({ length: 200 }, (_, i) => ({ category: 'household', subject: claims.subjects[0]!.id, household_id: `H-${i}` }));
      const ciphertext = await encryptResult(records, claims.recipient.key, { warrantId: claims.jti, department: 'public_security' });
      call.write({ header: { format: RESULT_FORMAT, warrantId: claims.jti, department: 'public_security' } });
      const hold = holdMidway;
      for (let i = 0; i < ciphertext.length; i += 1024) {
        call.write({ chunk: ciphertext.subarray(i, i + 1024) });
        if (i === 0 && hold) {
          midway();
          await hold;
        }
      }
      call.write({ trailer: { records: records.length, bytes: ciphertext.length, sha256: createHash('sha256').update(ciphertext).digest('hex'), receipt: '' } });
      call.end();
    },
  });
  proxy = await startFaultProxy(department.port);
});
afterAll(async () => {
  await proxy?.close();
  await department?.close();
  await database?.close();
  await rm(dir, { recursive: true, force: true });
});

async function until<T>(what: string, ms: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const got = await check();
    if (got) return got;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(50);
  }
}

async function withWorker<T>(overrides: Partial<FanoutWorkerOptions>, fn: (wake: () => void) => Promise<T>): Promise<T> {
  const directory = createGrpcDepartmentDirectory({
    tls: { ca: pki.caCert, cert: pki.gatewayClient.cert, key: pki.gatewayClient.key },
    endpoints: [{ name: 'public_security', host: '127.0.0.1', port: proxy.port }],
  });
  const worker = startFanoutWorker({
    db: database.db,
    directory,
    signer: { privateJwk: pki.warrantKey.privateJwk, pseudonymKey: pki.pseudonymKey },
    catalogue: await loadCatalogue(DEFAULT_CATALOGUE_FILE),
    logger: pino({ level: 'silent' }),
    workerId: `outage-${randomBytes(3).toString('hex')}`,
    pollIntervalMs: 100,
    leaseMs: 15_000,
    callDeadlineMs: 120_000,
    maxAttempts: 2,
    retryBaseMs: 200,
    retryMaxMs: 1000,
    audit: createAuditWriter(randomBytes(32)),
    ...overrides,
  });
  try {
    return await fn(() => worker.wake());
  } finally {
    await worker.stop();
    await directory.close();
  }
}

const partsOf = (ids: string[]) => database.db.select().from(inquiryParts).where(inArray(inquiryParts.inquiryId, ids));

describe('department outages, through a fault proxy', () => {
  it('answers the parts approved while the department was unreachable once it is back, however many attempts that took', { timeout: 180_000 }, async () => {
    const { db } = database;
    proxy.set('down');
    const outageStarted = Date.now();
    const ids: string[] = [];
    await withWorker({}, async (wake) => {
      for (let i = 0; i < 3; i++) {
        ids.push((await seedApprovedInquiry(db, { encryptionKey: pki.units[UNIT]!.publicJwk, categories: ['household'] })).inquiryId);
        wake();
      }
      // Well past maxAttempts (2) while it is down: transport failures are retried until the deadline.
      const during = await until('every part retried past maxAttempts during the outage', 60_000, async () => {
        const parts = await partsOf(ids);
        return parts.every((p) => p.attempts >= 4 && p.status !== 'failed') && parts;
      });
      for (const p of during) expect(p.failureReason).toBe('transport: public_security unreachable');
      // The minute: QIAO_TEST_DEPT_OUTAGE=60s keeps the department away that long (CI: as short as the retries allow).
      const atLeast = parseDuration(process.env.QIAO_TEST_DEPT_OUTAGE ?? '0') ?? 0;
      if (Date.now() - outageStarted < atLeast) await sleep(atLeast - (Date.now() - outageStarted));
      expect((await partsOf(ids)).every((p) => p.status === 'pending' || p.status === 'running')).toBe(true);
      const outageMs = Date.now() - outageStarted;

      proxy.set('pass');
      const back = Date.now();
      const parts = await until('every part answered after the outage', 60_000, async () => {
        const rows = await partsOf(ids);
        return rows.every((p) => p.status === 'succeeded') && rows;
      });
      console.log(`outage of ${(outageMs / 1000).toFixed(1)} s: parts answered ${((Date.now() - back) / 1000).toFixed(1)} s after the department was back`);
      expect(parts.every((p) => p.failureReason === null && p.attempts > 2)).toBe(true);
      expect(await db.select().from(results).where(inArray(results.inquiryId, ids))).toHaveLength(3);
    });
  });

  it('abandons a connection that went silent mid-answer within seconds (keepalive) and answers on a fresh one', async () => {
    const { db } = database;
    proxy.set('pass');
    let release!: () => void;
    holdMidway = new Promise<void>((r) => (release = r));
    const reachedMidway = new Promise<void>((r) => (midway = r));
    try {
      await withWorker({ callIdleTimeoutMs: 120_000 }, async (wake) => {
        const { inquiryId } = await seedApprovedInquiry(db, { encryptionKey: pki.units[UNIT]!.publicJwk, categories: ['household'] });
        wake();
        await reachedMidway;
        // The route dies silently: nothing passes any more, nothing is closed.
        proxy.set('blackhole');
        const silentSince = Date.now();
        holdMidway = null;
        release();
        // Bounded at 40 s: without keepalive the call would hang until its 120 s deadline.
        const [failed] = await until('the silent call abandoned', 40_000, async () => {
          const rows = await partsOf([inquiryId]);
          return rows[0]!.failureReason?.startsWith('transport:') && rows;
        });
        const abandonedMs = Date.now() - silentSince;
        console.log(`black-holed connection abandoned after ${(abandonedMs / 1000).toFixed(1)} s: ${failed!.failureReason}`);
        expect(failed!.failureReason).toMatch(/^transport: connection to public_security lost after 0\.0 MiB of the answer$|^transport: public_security (unreachable|went silent)/);

        proxy.set('pass');
        const [done] = await until('answered on a fresh connection', 30_000, async () => {
          const rows = await partsOf([inquiryId]);
          return rows[0]!.status === 'succeeded' && rows;
        });
        expect(done!.attempts).toBeGreaterThanOrEqual(2);
        const [result] = await db.select().from(results).where(eq(results.partId, done!.id));
        expect(result!.records).toBe(200);
      });
    } finally {
      holdMidway = null;
      release?.();
    }
  });
});
