import { PGlite } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import * as schema from './schema';

export type Schema = typeof schema;
/** The one database type the services see, whichever driver is behind it. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** A database or an open transaction: every service function accepts either. */
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /**
   * Calls `onNotify` for every NOTIFY on `channel` (a fixed lowercase name), from any replica;
   * also once after a lost listening connection is back, for what was missed meanwhile. Resolves
   * to the function that stops listening.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  /** The PostgreSQL pool's connections (all, idle) and the queries waiting for one; absent for PGlite. */
  poolStats?: () => { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

export type DatabaseOptions =
  | {
      url: string;
      poolSize?: number;
      /**
       * Told of every connection the server or the network took away (terminated backend,
       * restart, reset). The query that was running on it fails and its caller retries; the
       * process keeps running. Default: ignored.
       */
      onConnectionError?: (err: Error) => void;
    }
  /** Embedded PostgreSQL. No dataDir: in memory. A PGlite instance may be passed in (tests clone one). */
  | { dataDir?: string; pglite?: PGlite };

/** Opens the database and applies pending migrations. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if ('url' in options) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      // An unreachable server must fail a query in seconds (so /ready answers 503 and the fan-out
      // retries), not hang it; TCP keepalive notices a server that vanished without a word.
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    const lost = options.onConnectionError ?? (() => {});
    // A pg Client emits 'error' when its connection dies. The pool listens only while the client
    // is idle; a checked-out client (a query or transaction running) with no listener would
    // crash the process with an unhandled 'error' (57P01 after pg_terminate_backend,
    // ECONNRESET). Its running query fails with the same error, and the pool drops the client
    // when it is released, so listening is all that is needed here.
    // The pool re-emits an idle client's error: already told through the client's own listener.
    pool.on('error', () => {});
    pool.on('connect', (client) => {
      client.on('error', lost);
      releaseOnFailedBegin(client);
    });
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    try {
      await migratePg(db as never, { migrationsFolder: MIGRATIONS_FOLDER });
    } catch (err) {
      await pool.end();
      throw new Error(`cannot migrate the PostgreSQL database at ${redactUrl(options.url)}: ${(err as Error).message}`);
    }
    return {
      db,
      kind: 'postgres',
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      listen: (channel, onNotify) => listenPg(options.url, channel, onNotify, lost),
      close: () => pool.end(),
    };
  }
  const client = options.pglite ?? new PGlite(options.dataDir);
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  await migratePglite(db as never, { migrationsFolder: MIGRATIONS_FOLDER });
  return {
    db,
    kind: 'pglite',
    listen: async (channel, onNotify) => {
      assertChannel(channel);
      const unlisten = await client.listen(channel, () => onNotify());
      return () => unlisten();
    },
    close: () => client.close(),
  };
}

/**
 * drizzle's node-postgres transaction sends BEGIN before its try/finally that releases the client:
 * a BEGIN that fails (the connection died while idle in the pool) leaves the client checked out
 * for ever, and after a few database blips the pool has no client left and every query waits.
 * The client releases itself (dropped from the pool) when its BEGIN fails; drizzle never reaches
 * its own release then.
 */
function releaseOnFailedBegin(client: pg.PoolClient): void {
  const query = client.query as (...args: unknown[]) => unknown;
  client.query = function (this: pg.PoolClient, ...args: unknown[]) {
    const result = query.apply(this, args);
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: unknown } | undefined)?.text;
    if (result instanceof Promise && typeof text === 'string' && /^\s*begin\b/i.test(text)) {
      return result.catch((err: unknown) => {
        client.release(err instanceof Error ? err : new Error(String(err)));
        throw err;
      });
    }
    return result;
  } as typeof client.query;
}

function assertChannel(channel: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`not a channel name: ${JSON.stringify(channel)}`);
}

/**
 * LISTEN holds a connection of its own, outside the pool. When the server or the network takes it
 * away, it is opened again every second until it is back; `onNotify` then runs once, since what
 * was notified meanwhile is lost.
 */
async function listenPg(url: string, channel: string, onNotify: () => void, lost: (err: Error) => void): Promise<() => Promise<void>> {
  assertChannel(channel);
  let closed = false;
  let current: pg.Client | null = null;
  let retry: NodeJS.Timeout | undefined;
  const again = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect(true);
    }, 1000);
  };
  const connect = async (reconnecting: boolean) => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    client.on('error', lost);
    client.on('end', () => {
      if (current === client) current = null;
      again();
    });
    client.on('notification', (n) => {
      if (n.channel === channel) onNotify();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      if (closed) return void (await client.end());
      current = client;
      if (reconnecting) onNotify();
    } catch (err) {
      if (!reconnecting) {
        closed = true;
        throw err;
      }
      lost(err as Error);
      await client.end().catch(() => {});
      again();
    }
  };
  await connect(false);
  return async () => {
    closed = true;
    clearTimeout(retry);
    await current?.end().catch(() => {});
  };
}

/** A database URL fit for an error message or a log line: the password is dropped. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable database URL)';
  }
}
