import { randomBytes } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { NAMED_STATEMENTS_PER_CONNECTION, openDatabase, statementName, type Database, type DbOrTx } from './client';

/**
 * On PostgreSQL every parametrized statement is prepared once per connection under a name derived
 * from its text, and the connection stays usable whatever goes wrong around it. One connection in
 * the pool, so pg_prepared_statements (per session) sees what the queries did.
 */
const serverUrl = process.env.TEST_DATABASE_URL;

async function rows(db: DbOrTx, query: SQL): Promise<Record<string, unknown>[]> {
  return ((await db.execute(query)) as unknown as { rows: Record<string, unknown>[] }).rows;
}

describe.skipIf(!serverUrl)('named prepared statements (PostgreSQL)', () => {
  const dbName = `qiao_test_${randomBytes(6).toString('hex')}`;
  let database: Database;
  let url: string;

  async function admin(text: string) {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  }

  async function prepared(): Promise<{ name: string; statement: string }[]> {
    return (await rows(database.db, sql.raw(`select name, statement from pg_prepared_statements where name like 'qiao_%'`))) as { name: string; statement: string }[];
  }

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${dbName}`);
    const u = new URL(serverUrl!);
    u.pathname = `/${dbName}`;
    url = u.toString();
    database = await openDatabase({ url, poolSize: 1 });
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  });

  it('prepares a parametrized statement once, under the name of its text', async () => {
    const before = (await prepared()).length;
    for (const n of [1, 2, 3]) {
      expect(await rows(database.db, sql`select ${n}::int + 1 as v`)).toEqual([{ v: n + 1 }]);
    }
    const after = await prepared();
    expect(after.length).toBe(before + 1);
    const text = 'select $1::int + 1 as v';
    expect(after).toContainEqual({ name: statementName(text), statement: text });
  });

  it('leaves statements without parameters unnamed', async () => {
    const before = await prepared();
    await database.db.execute(sql.raw('select 41 + 1 as v'));
    expect(await prepared()).toEqual(before);
  });

  it('keeps a connection usable after the server refused a named statement', async () => {
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`savepoint before_bad`);
      await expect(tx.execute(sql`select ${'not a number'}::int as v`)).rejects.toMatchObject({ cause: { code: '22P02' } });
      await tx.execute(sql`rollback to savepoint before_bad`);
      expect(await rows(tx, sql`select ${'7'}::int as v`)).toEqual([{ v: 7 }]);
    });
    expect(await rows(database.db, sql`select ${'8'}::int as v`)).toEqual([{ v: 8 }]);
  });

  it(`keeps at most ${NAMED_STATEMENTS_PER_CONNECTION} statements prepared on a connection`, async () => {
    for (let i = 0; i < NAMED_STATEMENTS_PER_CONNECTION + 20; i++) {
      expect(await rows(database.db, sql`select ${i}::int as ${sql.raw(`v${i}`)}`)).toEqual([{ [`v${i}`]: i }]);
    }
    const count = (await prepared()).length;
    expect(count).toBeLessThanOrEqual(NAMED_STATEMENTS_PER_CONNECTION);
    expect(count).toBeGreaterThan(NAMED_STATEMENTS_PER_CONNECTION - 10);
  });

  it('keeps a connection usable after pg itself failed to send a value', async () => {
    // A pool of its own: the connection names nothing after this.
    // pg parses the statement, fails to serialise the value, closes the statement on the server
    // and yet keeps it recorded as prepared: naming it again would answer "does not exist".
    const unsendable = {
      toPostgres() {
        throw new Error('cannot be sent');
      },
    };
    const own = await openDatabase({ url, poolSize: 1 });
    onTestFinished(() => own.close());
    await own.db.transaction(async (tx) => {
      await expect(tx.execute(sql`select ${unsendable}::text as bind_failure`)).rejects.toMatchObject({ cause: { message: 'cannot be sent' } });
      expect(await rows(tx, sql`select ${'fine'}::text as bind_failure`)).toEqual([{ bind_failure: 'fine' }]);
    });
  });
});
