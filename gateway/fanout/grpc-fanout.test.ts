import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevPki, type DevPki } from '../../certs-dev/pki';
import { decryptResult, encryptResult, RESULT_FORMAT } from '../../proto/result-envelope';
import { verifyWarrant } from '../../proto/warrant';
import { loadCatalogue } from '../catalogue';
import type { Database } from '../db/client';
import { inquiryParts, results } from '../db/schema';
import { openTestDatabase } from '../db/testing';
import { createGrpcDepartmentDirectory } from '../departments/grpc-client';
import { startTestDepartment, type TestDepartment } from '../departments/test-department';
import { createAuditWriter } from '../services/audit/append-audit';
import { openResultStream } from '../services/result/read-result';
import { preparePart, seedApprovedInquiry } from './test-fixtures';
import { DEFAULT_CATALOGUE_FILE, startFanoutWorker } from './worker';

const UNIT = '150627';
let dir: string;
let pki: DevPki;
let database: Database;
let department: TestDepartment;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'qiao-fanout-'));
  [pki, database] = await Promise.all([
    ensureDevPki({ dir, departments: ['public_security'], units: [UNIT] }),
    openTestDatabase(),
  ]);
  // A department that does what an adapter does, in miniature: verify the warrant, answer only
  // for its subjects and fields, encrypt to the recipient's key, stream header/chunks/trailer.
  department = await startTestDepartment({
    serverCert: pki.departments.public_security!,
    clientCa: pki.caCert,
    execute: async (warrant, call) => {
      let claims;
      try {
        claims = await verifyWarrant(warrant, { keys: pki.warrantKey.publicJwks.keys, audience: 'public_security' });
      } catch (err) {
        call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: (err as Error).message });
        return;
      }
      const records = claims.subjects.map((s) => ({ category: 'household', subject: s.id, household_id: 'H-0001' }));
      const ciphertext = await encryptResult(records, claims.recipient.key, { warrantId: claims.jti, department: 'public_security' });
      call.write({ header: { format: RESULT_FORMAT, warrantId: claims.jti, department: 'public_security' } });
      for (let i = 0; i < ciphertext.length; i += 128) call.write({ chunk: ciphertext.subarray(i, i + 128) });
      call.write({ trailer: { records: records.length, bytes: ciphertext.length, sha256: createHash('sha256').update(ciphertext).digest('hex'), receipt: 'test-receipt' } });
      call.end();
    },
  });
});
afterAll(async () => {
  await department?.close();
  await database?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('fan-out over real mutual-TLS gRPC', () => {
  it('delivers a warrant the department accepts and stores a result only the unit can read', async () => {
    const { db } = database;
    const { inquiryId } = await seedApprovedInquiry(db, { encryptionKey: pki.units[UNIT]!.publicJwk, categories: ['household'] });
    const part = await preparePart(db, inquiryId, { nextAttemptAt: new Date(Date.now() - 1000) });
    const directory = createGrpcDepartmentDirectory({
      tls: { ca: pki.caCert, cert: pki.gatewayClient.cert, key: pki.gatewayClient.key },
      endpoints: [{ name: 'public_security', host: '127.0.0.1', port: department.port }],
    });
    const worker = startFanoutWorker({
      db,
      directory,
      signer: { privateJwk: pki.warrantKey.privateJwk, pseudonymKey: pki.pseudonymKey },
      catalogue: await loadCatalogue(DEFAULT_CATALOGUE_FILE),
      logger: pino({ level: 'silent' }),
      workerId: 'grpc-test',
      pollIntervalMs: 60_000,
      leaseMs: 30_000,
      callDeadlineMs: 10_000,
      maxAttempts: 3,
      autoStart: false,
      audit: createAuditWriter(randomBytes(32)),
    });
    try {
      expect(await worker.runOnce()).toBe(1);
    } finally {
      await worker.stop();
      await directory.close();
    }

    const [row] = await db.select().from(inquiryParts).where(eq(inquiryParts.id, part.id));
    expect(row).toMatchObject({ status: 'succeeded', attempts: 1, failureReason: null });
    const [result] = await db.select().from(results).where(eq(results.partId, part.id));
    expect(result).toMatchObject({ format: RESULT_FORMAT, records: 1, warrantId: row!.warrantId, receipt: 'test-receipt' });
    const chunks: Uint8Array[] = [];
    for await (const c of openResultStream(db, part.id, result!.warrantId)) chunks.push(c);
    const ciphertext = Buffer.concat(chunks);
    expect(createHash('sha256').update(ciphertext).digest('hex')).toBe(result!.sha256);
    expect(ciphertext.toString()).not.toContain('150627196803120034'); // the gateway holds ciphertext only
    expect(await decryptResult(ciphertext, pki.units[UNIT]!.privateJwk, { warrantId: result!.warrantId, department: 'public_security' })).toEqual([
      { category: 'household', subject: '150627196803120034', household_id: 'H-0001' },
    ]);
    expect(department.received).toHaveLength(1);
    expect(department.received[0]!.peer).toBe('gateway.qiao.internal');
  });
});
