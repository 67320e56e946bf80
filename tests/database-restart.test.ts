/**
 * A full PostgreSQL restart under two gateway replicas: the server is shut down while parts run,
 * stays down for a while (QIAO_TEST_DB_OUTAGE, default 5s; the minute is `60s`), and
 * comes back on the same port. Both replicas keep running, /ready answers 503 on each while the
 * database is away and 200 again after, the work in flight resumes, and every part is answered
 * exactly once.
 *
 * The cluster is private to this test (initdb in a temporary folder, a port chosen at run time,
 * run as the `postgres` user when the test runs as root), never the shared server: skipped with a
 * message where the PostgreSQL server binaries are missing (QIAO_TEST_PG_BIN, default
 * /usr/local/bin).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DEPARTMENTS } from '../adapters/departments';
import { directoryReceiptKeys } from '../client/cli/directory-keys';
import { fetchAndDecrypt, waitForResults } from '../client/core/results';
import { parseDuration } from '../gateway/config';
import { auditEvents, inquiryParts, results } from '../gateway/db/schema';
import type { RunningGateway } from '../gateway/server';
import { eventually, slow } from './harness/faults';
import { bootFederation, type Federation } from './harness/federation';
import { freePort } from './harness/ports';

const run = promisify(execFile);
const BIN = process.env.QIAO_TEST_PG_BIN ?? '/usr/local/bin';
const HAVE_POSTGRES = ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(BIN, b)));
const OUTAGE_MS = parseDuration(process.env.QIAO_TEST_DB_OUTAGE ?? '5s') ?? 5_000;
const LI = '150627196803120034';
const INQUIRIES = 6;

if (!HAVE_POSTGRES) console.warn(`database-restart.test.ts skipped: no initdb, pg_ctl and postgres in ${BIN} (set QIAO_TEST_PG_BIN to the PostgreSQL server binaries)`);

/** initdb and pg_ctl refuse to run as root: as root, they run as the `postgres` user. */
const asServerUser = (cmd: string, args: string[]) =>
  process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', join(BIN, cmd), ...args]) : run(join(BIN, cmd), args);

const readyStatus = async (gw: RunningGateway) => (await fetch(`${gw.url}/ready`)).status;

let work: string;
let dataDir: string;
let port: number;
let fed: Federation | undefined;
let replica: RunningGateway;
const pgCtl = (...args: string[]) => asServerUser('pg_ctl', ['-D', dataDir, '-s', ...args]);
const startServer = () =>
  pgCtl('-w', '-t', '60', '-l', join(dataDir, 'server.log'), '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${work} -c fsync=off`, 'start');

describe.runIf(HAVE_POSTGRES)('a PostgreSQL restart under two replicas', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'qiao-pg-restart-'));
    dataDir = join(work, 'data');
    if (process.getuid?.() === 0) {
      await chown(work, 101, 104).catch(() => {});
      await chmod(work, 0o777);
    }
    await asServerUser('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    port = await freePort();
    await startServer();
    process.env.TEST_DATABASE_URL = `postgres://postgres@127.0.0.1:${port}/postgres`;
    fed = await bootFederation({
      env: { QIAO_LEASE: '3s' },
      logLevel: 'info',
      sources: {
        public_security: slow(DEMO_DEPARTMENTS.public_security!.createSource(), 300),
        natural_resources: slow(DEMO_DEPARTMENTS.natural_resources!.createSource(), 300),
      },
    });
    replica = await fed.startReplica();
  }, 120_000);
  afterAll(async () => {
    await fed?.close().catch(() => {});
    if (dataDir) await pgCtl('-m', 'immediate', 'stop').catch(() => {});
    if (work) await rm(work, { recursive: true, force: true });
  }, 60_000);

  it(
    'keeps both replicas running, /ready follows the server, and every part in flight is answered once',
    async () => {
      const f = fed!;
      const ids: string[] = [];
      for (let i = 0; i < INQUIRIES; i++) {
        ids.push(
          await f.runInquiry({
            investigator: 'inv.ejinhoro',
            approvers: ['appr.ordos'],
            subjects: [{ kind: 'person', id: LI }],
            categories: ['household', 'household_members', 'real_estate', 'grassland_contracts'],
          }),
        );
      }
      const replicas = [f.gateway, replica];

      // The fan-out runs now (each call takes a while): the whole server goes away under it.
      const { db } = f.gateway.database;
      await sleep(200);
      const unsettled = (await db.select().from(inquiryParts).where(inArray(inquiryParts.inquiryId, ids))).filter((p) => p.status !== 'succeeded');
      expect(unsettled.length).toBeGreaterThan(0); // the restart meets work in flight
      await pgCtl('-m', 'fast', '-w', 'stop');
      const down = Date.now();
      for (const gw of replicas) await eventually(`/ready of ${gw.url} answers 503 while the server is down`, 20_000, async () => (await readyStatus(gw)) === 503);
      const rest = OUTAGE_MS - (Date.now() - down);
      if (rest > 0) await sleep(rest);
      // Still there and still answering, after the whole outage.
      for (const gw of replicas) expect(await readyStatus(gw)).toBe(503);
      await startServer();
      for (const gw of replicas) await eventually(`/ready of ${gw.url} answers 200 once the server is back`, 30_000, async () => (await readyStatus(gw)) === 200);

      // Work in flight resumes, on either replica.
      await eventually('every part settled', 120_000, async () => {
        await Promise.all(replicas.map((gw) => gw.drain()));
        const parts = await db.select().from(inquiryParts).where(inArray(inquiryParts.inquiryId, ids));
        return parts.length === 2 * INQUIRIES && parts.every((p) => p.status === 'succeeded' || p.status === 'failed');
      });

      const parts = await db.select().from(inquiryParts).where(inArray(inquiryParts.inquiryId, ids));
      expect(parts.map((p) => [p.status, p.failureReason])).toEqual(parts.map(() => ['succeeded', null]));
      // Nothing applied twice: one result and one department.answered entry per part, for the part's warrant.
      const stored = await db.select().from(results).where(inArray(results.inquiryId, ids));
      expect(stored.map((r) => r.partId).sort()).toEqual(parts.map((p) => p.id).sort());
      for (const part of parts) expect(stored.find((r) => r.partId === part.id)!.warrantId).toBe(part.warrantId);
      const answered = (await db.select().from(auditEvents).where(eq(auditEvents.action, 'department.answered'))).filter((e) => ids.includes(e.inquiryId!));
      expect(answered.map((e) => e.details.partId).sort()).toEqual(parts.map((p) => p.id).sort());
      // Nothing lost: every result decrypts for the unit.
      const investigator = await f.as('inv.ejinhoro');
      const options = { privateKey: f.pki.units['150627']!.privateJwk, receiptKeys: directoryReceiptKeys(join(f.pki.dir, 'directory')) };
      for (const id of ids) {
        const listing = await waitForResults(investigator, id, 0);
        expect(listing.status).toBe('completed');
        for (const summary of listing.results) expect((await fetchAndDecrypt(investigator, id, summary, options)).length).toBeGreaterThan(0);
      }
    },
    OUTAGE_MS + 300_000,
  );
});
