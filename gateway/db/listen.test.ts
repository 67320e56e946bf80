import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from './client';
import { openTestDatabase } from './testing';

/**
 * Database#listen: payloads delivered per channel, on PGlite and PostgreSQL; on PostgreSQL every
 * channel shares one listening connection, which comes back after the server took it away and
 * then tells every listener that something may have been missed.
 */
let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
}, 60_000);
afterAll(async () => {
  await database?.close();
});

async function until<T>(what: string, check: () => T | undefined | false, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

describe('Database#listen', () => {
  it('delivers each channel its own payloads, and nothing after unlisten', async () => {
    const a: (string | undefined)[] = [];
    const b: (string | undefined)[] = [];
    const stopA = await database.listen('qiao_test_a', (p) => a.push(p));
    expect(database.listening('qiao_test_b')).toBe(false);
    const stopB = await database.listen('qiao_test_b', (p) => b.push(p));
    expect([database.listening('qiao_test_a'), database.listening('qiao_test_b')]).toEqual([true, true]);
    await database.db.execute(sql`select pg_notify('qiao_test_a', 'one'), pg_notify('qiao_test_b', 'two')`);
    await until('both delivered', () => a.length && b.length);
    expect([a, b]).toEqual([['one'], ['two']]);
    await stopA();
    expect([database.listening('qiao_test_a'), database.listening('qiao_test_b')]).toEqual([false, true]);
    await database.db.execute(sql`select pg_notify('qiao_test_a', 'late'), pg_notify('qiao_test_b', 'three')`);
    await until('b delivered again', () => b.length === 2);
    expect(a).toEqual(['one']);
    await stopB();
  });

  it.runIf(process.env.TEST_DATABASE_URL)('holds one connection for every channel, and after losing it tells every listener once', async () => {
    const a: (string | undefined)[] = [];
    const b: (string | undefined)[] = [];
    const stopA = await database.listen('qiao_test_c', (p) => a.push(p));
    const stopB = await database.listen('qiao_test_d', (p) => b.push(p));
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    try {
      const name = ((await database.db.execute(sql`select current_database() as name`)) as unknown as { rows: { name: string }[] }).rows[0]!.name;
      const listening = async () =>
        (await admin.query<{ pid: number }>(`select pid from pg_stat_activity where datname = $1 and query ilike 'listen %'`, [name])).rows.map((r) => r.pid);
      const [pid, ...others] = await listening();
      expect(pid).toBeDefined();
      expect(others).toEqual([]);

      await admin.query('select pg_terminate_backend($1)', [pid]);
      // Not heard while the connection is away (an approval then wakes its own worker).
      await until('the loss noticed', () => !database.listening('qiao_test_c'));
      expect(database.listening('qiao_test_d')).toBe(false);
      // Back on a new connection: both listeners told that they may have missed something.
      await until('both told after the reconnect', () => a.includes(undefined) && b.includes(undefined));
      expect([database.listening('qiao_test_c'), database.listening('qiao_test_d')]).toEqual([true, true]);
      await database.db.execute(sql`select pg_notify('qiao_test_c', 'after'), pg_notify('qiao_test_d', 'after')`);
      await until('delivered on the new connection', () => a.includes('after') && b.includes('after'));
      expect(a.filter((p) => p === undefined)).toHaveLength(1);
      expect((await listening()).length).toBe(1);
    } finally {
      await admin.end();
      await stopA();
      await stopB();
    }
  });
});
