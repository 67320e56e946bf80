/**
 * The gateway's database comes and goes during fan-out (PostgreSQL only: PGlite runs in the
 * process and cannot lose a connection): every backend of the gateway killed again and again
 * while parts run, then the database refusing connections for a while. The gateway keeps
 * running, /ready follows the database, and every part ends answered exactly once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { eq, inArray, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DEPARTMENTS } from '../adapters/departments';
import { auditEvents, inquiryParts, resultChunks, results } from '../gateway/db/schema';
import { join } from 'node:path';
import { directoryReceiptKeys } from '../client/cli/directory-keys';
import { fetchAndDecrypt, waitForResults } from '../client/core/results';
import { eventually, slow } from './harness/faults';
import { bootFederation, type Federation } from './harness/federation';

const LI = '150627196803120034';
const INQUIRIES = 6;

let fed: Federation;
let admin: pg.Client;
let dbName: string;

describe.runIf(process.env.TEST_DATABASE_URL)('the gateway database comes and goes', () => {
  beforeAll(async () => {
    fed = await bootFederation({
      env: { QIAO_LEASE: '3s' },
      sources: {
        public_security: slow(DEMO_DEPARTMENTS.public_security!.createSource(), 150),
        natural_resources: slow(DEMO_DEPARTMENTS.natural_resources!.createSource(), 150),
      },
    });
    const rows = await fed.gateway.database.db.execute(sql`select current_database() as name`);
    dbName = (rows as unknown as { rows: { name: string }[] }).rows[0]!.name;
    admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
  });
  afterAll(async () => {
    if (dbName) await admin?.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`).catch(() => {});
    await admin?.end();
    await fed?.close();
  });

  const killBackends = async () => {
    const r = await admin.query('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
    return r.rows[0].n as number;
  };

  it('keeps running through killed connections and an outage, /ready follows, and every part is answered once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < INQUIRIES; i++) {
      ids.push(
        await fed.runInquiry({
          investigator: 'inv.ejinhoro',
          approvers: ['appr.ordos'],
          subjects: [{ kind: 'person', id: LI }],
          categories: ['household', 'household_members', 'real_estate', 'grassland_contracts'],
        }),
      );
    }

    // The fan-out runs now: kill every connection of the gateway over and over while it does.
    let killed = 0;
    for (let round = 0; round < 25; round++) {
      killed += await killBackends();
      await sleep(40 + round * 4);
    }
    expect(killed).toBeGreaterThan(0);

    // Then the database goes away altogether: /ready says so, and says when it is back.
    await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS false`);
    await killBackends();
    await eventually('/ready answers 503 while the database refuses connections', 20_000, async () => (await fetch(`${fed.gateway.url}/ready`)).status === 503);
    await sleep(3000); // the fan-out meets the outage too (claims, renewals and writes fail)
    await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`);
    await eventually('/ready answers 200 once the database is back', 20_000, async () => (await fetch(`${fed.gateway.url}/ready`)).status === 200);

    // Work in flight resumes: a part whose replica could not settle it is taken again after its lease.
    const { db } = fed.gateway.database;
    await eventually('every part settled', 90_000, async () => {
      await fed.drain();
      const parts = await db.select().from(inquiryParts).where(inArray(inquiryParts.inquiryId, ids));
      return parts.length === 2 * INQUIRIES && parts.every((p) => p.status === 'succeeded' || p.status === 'failed');
    });

    // No connection leaked by a transaction that died at its BEGIN: more transactions at once than the pool holds still run.
    await Promise.all(Array.from({ length: 12 }, () => db.transaction((tx) => tx.execute(sql`select 1`))));

    const parts = await db.select().from(inquiryParts).where(inArray(inquiryParts.inquiryId, ids));
    expect(parts.map((p) => [p.status, p.failureReason])).toEqual(parts.map(() => ['succeeded', null]));
    // Nothing applied twice: one result and one department.answered entry per part, for the warrant the part names.
    const stored = await db.select().from(results).where(inArray(results.inquiryId, ids));
    expect(stored.map((r) => r.partId).sort()).toEqual(parts.map((p) => p.id).sort());
    for (const part of parts) expect(stored.find((r) => r.partId === part.id)!.warrantId).toBe(part.warrantId);
    const answered = await db.select().from(auditEvents).where(eq(auditEvents.action, 'department.answered'));
    const answeredHere = answered.filter((e) => ids.includes(e.inquiryId!));
    expect(answeredHere.map((e) => e.details.partId).sort()).toEqual(parts.map((p) => p.id).sort());
    // Nothing lost: only the recorded attempts' chunks remain, and every result decrypts for the unit.
    const chunks = await db.select({ partId: resultChunks.partId, warrantId: resultChunks.warrantId }).from(resultChunks).where(inArray(resultChunks.partId, parts.map((p) => p.id)));
    for (const c of chunks) expect(c.warrantId).toBe(parts.find((p) => p.id === c.partId)!.warrantId);
    const investigator = await fed.as('inv.ejinhoro');
    const options = { privateKey: fed.pki.units['150627']!.privateJwk, receiptKeys: directoryReceiptKeys(join(fed.pki.dir, 'directory')) };
    for (const id of ids) {
      const listing = await waitForResults(investigator, id, 0);
      expect(listing.status).toBe('completed');
      for (const summary of listing.results) expect((await fetchAndDecrypt(investigator, id, summary, options)).length).toBeGreaterThan(0);
    }
  });
});
