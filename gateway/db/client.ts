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
    pool.on('connect', (client) => client.on('error', lost));
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    try {
      await migratePg(db as never, { migrationsFolder: MIGRATIONS_FOLDER });
    } catch (err) {
      await pool.end();
      throw new Error(`cannot migrate the PostgreSQL database at ${redactUrl(options.url)}: ${(err as Error).message}`);
    }
    return { db, kind: 'postgres', close: () => pool.end() };
  }
  const client = options.pglite ?? new PGlite(options.dataDir);
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  await migratePglite(db as never, { migrationsFolder: MIGRATIONS_FOLDER });
  return { db, kind: 'pglite', close: () => client.close() };
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
