import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Db } from '../db/client';
import { openTestDatabase } from '../db/testing';
import { createGatewayMetrics } from './registry';

/** Samples of one metric in a text exposition: labels (as written) → value. */
function samplesOf(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{.*\})? (\S+)$/.exec(line);
    if (m && m[1] === name) out[m[2] ?? ''] = Number(m[3]);
  }
  return out;
}

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
}, 120_000);
afterAll(() => database?.close());

describe('gateway metrics', () => {
  it('reads the database once per cache period, whatever the number of scrapes', async () => {
    let transactions = 0;
    const counting = new Proxy(database.db, {
      get(target, key, receiver) {
        if (key === 'transaction') transactions += 1;
        return Reflect.get(target, key, receiver);
      },
    }) as Db;
    const metrics = createGatewayMetrics({ db: counting, fanoutSlots: { inUse: () => 3, capacity: 8 }, databaseCacheMs: 60_000 });
    const first = (await metrics.exposition()).text;
    await metrics.exposition();
    await metrics.exposition();
    expect(transactions).toBe(1);
    expect(samplesOf(first, 'qiao_database_up')).toEqual({ '': 1 });
    // Every state has a sample on an empty database, 0 included.
    expect(samplesOf(first, 'qiao_inquiries')).toEqual({
      '{state="pending_approval"}': 0, '{state="approved"}': 0, '{state="rejected"}': 0, '{state="withdrawn"}': 0, '{state="expired"}': 0,
    });
    expect(samplesOf(first, 'qiao_fanout_slots_in_use')).toEqual({ '': 3 });
    expect(samplesOf(first, 'qiao_fanout_slots')).toEqual({ '': 8 });
    expect(samplesOf(first, 'qiao_audit_tree_size')).toEqual({ '': 0 });
    // No checkpoint yet: its age is unknown; no pool on the embedded database.
    expect(samplesOf(first, 'qiao_audit_checkpoint_age_seconds')).toEqual({ '': Number.NaN });
    expect(samplesOf(first, 'qiao_db_pool_waiting')).toEqual({ '': 0 });
    expect(samplesOf(first, 'qiao_db_pool_connections')).toEqual({});
  });

  it('still answers when the database fails or hangs: its gauges are empty or NaN and qiao_database_up is 0', async () => {
    const failing = { transaction: () => Promise.reject(new Error('connection refused')), execute: () => Promise.reject(new Error('connection refused')) } as unknown as Db;
    const hanging = { transaction: () => new Promise(() => {}), execute: () => new Promise(() => {}) } as unknown as Db;
    for (const db of [failing, hanging]) {
      const metrics = createGatewayMetrics({ db, fanoutSlots: { inUse: () => 0, capacity: 8 }, databaseCacheMs: 0, databaseTimeoutMs: 200, pool: () => ({ total: 4, idle: 1, waiting: 2 }) });
      const { text, contentType } = await metrics.exposition();
      expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(samplesOf(text, 'qiao_database_up')).toEqual({ '': 0 });
      expect(samplesOf(text, 'qiao_inquiries')).toEqual({});
      // Unknown, not 0: a rule comparing it with a threshold does not fire on a guess.
      expect(samplesOf(text, 'qiao_fanout_queue_depth')).toEqual({ '': Number.NaN });
      expect(samplesOf(text, 'qiao_audit_tree_size')).toEqual({ '': Number.NaN });
      // What the process knows itself is still there.
      expect(samplesOf(text, 'qiao_db_pool_connections')).toEqual({ '{state="in_use"}': 3, '{state="idle"}': 1 });
      expect(samplesOf(text, 'qiao_db_pool_waiting')).toEqual({ '': 2 });
      expect(samplesOf(text, 'qiao_fanout_slots')).toEqual({ '': 8 });
      expect(Object.keys(samplesOf(text, 'process_cpu_seconds_total'))).toHaveLength(1);
    }
  });

  it('keeps qiao_database_up at 1 when only the aggregate queries time out (a large table, not a database down)', async () => {
    const slow = new Proxy(database.db, {
      get(target, key, receiver) {
        if (key === 'transaction') return () => new Promise(() => {});
        return Reflect.get(target, key, receiver);
      },
    }) as Db;
    const { text } = await createGatewayMetrics({ db: slow, fanoutSlots: { inUse: () => 0, capacity: 1 }, databaseTimeoutMs: 200 }).exposition();
    expect(samplesOf(text, 'qiao_database_up')).toEqual({ '': 1 });
    expect(samplesOf(text, 'qiao_inquiries')).toEqual({});
  });

  it('labels requests by the route pattern it is given and counts calls, bytes and refusals by department', async () => {
    const metrics = createGatewayMetrics({ db: database.db, fanoutSlots: { inUse: () => 0, capacity: 1 } });
    metrics.httpRequest({ method: 'GET', route: '/v1/inquiries/:id', status: 200 }, 0.01);
    metrics.departmentCall({ department: 'bank', outcome: 'refused', refusal: 'approval_rule_unmet', seconds: 0.02, bytes: 0, at: new Date() });
    metrics.departmentCall({ department: 'bank', outcome: 'answered', seconds: 3, bytes: 1024, at: new Date() });
    metrics.auditAppended(['inquiry.submitted', 'inquiry.submitted']);
    const { text } = await metrics.exposition();
    expect(samplesOf(text, 'qiao_http_request_duration_seconds_count')).toEqual({ '{method="GET",route="/v1/inquiries/:id",status="200"}': 1 });
    expect(samplesOf(text, 'qiao_department_refusals_total')).toEqual({ '{department="bank",code="approval_rule_unmet"}': 1 });
    expect(samplesOf(text, 'qiao_department_received_bytes_total')).toEqual({ '{department="bank",outcome="refused"}': 0, '{department="bank",outcome="answered"}': 1024 });
    expect(samplesOf(text, 'qiao_audit_appends_total')).toEqual({ '{action="inquiry.submitted"}': 2 });
  });
});
