/**
 * `npm run bench:metrics [-- --inquiries 100000]`: what the gateway's /metrics costs. Fills a fresh
 * embedded database (or TEST_DATABASE_URL's server) with inquiries and two parts each, then times
 * a scrape that reads the database (cache off) against one served from the cache, and the HTTP
 * middleware's share of a request (GET /health with and without metrics).
 */
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { createGatewayMetrics } from '../gateway/metrics/registry';
import { createTestGateway } from '../gateway/testing/harness';

const { values } = parseArgs({ options: { inquiries: { type: 'string', default: '100000' }, requests: { type: 'string', default: '3000' } } });
const count = Number(values.inquiries);
const requests = Number(values.requests);

const plain = await createTestGateway();
const { db } = plain;
const investigator = plain.users.investigator;
await db.execute(sql`
  insert into inquiries (unit_id, created_by, case_reference, legal_basis, purpose, subjects, categories, state)
  select ${investigator.unitId}, ${investigator.id}, 'BENCH-' || n, 'Supervision Law art. 18', 'bench', '[]'::jsonb, array['household'],
         (array['pending_approval','approved','rejected','withdrawn','expired'])[1 + n % 5]
  from generate_series(1, ${count}) as n`);
await db.execute(sql`
  insert into inquiry_parts (inquiry_id, department, categories, status, deadline_at)
  select i.id, d.department, array['household'], (array['pending','running','succeeded','failed'])[1 + (abs(hashtext(i.id::text)) % 4)], now() + interval '1 hour'
  from inquiries i cross join (values ('public_security'), ('natural_resources')) as d(department)`);

const time = async (runs: number, f: () => Promise<unknown>) => {
  const started = performance.now();
  for (let i = 0; i < runs; i++) await f();
  return (performance.now() - started) / runs;
};
const uncached = createGatewayMetrics({ db, fanoutSlots: { inUse: () => 0, capacity: 8 }, databaseCacheMs: 0 });
const cached = createGatewayMetrics({ db, fanoutSlots: { inUse: () => 0, capacity: 8 }, databaseCacheMs: 60_000 });
await uncached.exposition();
await cached.exposition();
const fresh = await time(10, () => uncached.exposition());
const hit = await time(50, () => cached.exposition());

const withMetrics = await createTestGateway({ database: plain.database, metrics: cached });
const health = (gw: typeof plain) => time(requests, () => gw.request('GET', '/health'));
await health(plain);
await health(withMetrics);
const without = await health(plain);
const withIt = await health(withMetrics);

console.log(`inquiries ${count}, parts ${count * 2} (${plain.database.kind})`);
console.log(`scrape reading the database: ${fresh.toFixed(1)} ms; from the cache: ${hit.toFixed(2)} ms`);
console.log(`GET /health: ${(without * 1000).toFixed(0)} µs without metrics, ${(withIt * 1000).toFixed(0)} µs with (${requests} requests each)`);
await withMetrics.close();
await plain.close();
