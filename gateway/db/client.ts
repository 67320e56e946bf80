import { PGlite } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { createHash } from 'node:crypto';
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
   * Calls `onNotify` with the payload of every NOTIFY on `channel` (a fixed lowercase name), from
   * any replica; also once without a payload after a lost listening connection is back, for what
   * was missed meanwhile. All channels of one database share one listening connection. Resolves
   * to the function that stops listening.
   */
  listen(channel: string, onNotify: (payload?: string) => void): Promise<() => Promise<void>>;
  /**
   * Whether a NOTIFY on `channel` committed now would be heard: someone listens on it and the
   * listening connection is up (false while it is being opened again).
   */
  listening(channel: string): boolean;
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
      nameStatements(client);
      releaseOnFailedBegin(client);
    });
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    try {
      await migratePg(db as never, { migrationsFolder: MIGRATIONS_FOLDER });
    } catch (err) {
      await pool.end();
      throw new Error(`cannot migrate the PostgreSQL database at ${redactUrl(options.url)}: ${(err as Error).message}`);
    }
    const listener = createPgListener(options.url, lost);
    return {
      db,
      kind: 'postgres',
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      listen: (channel, onNotify) => listener.listen(channel, onNotify),
      listening: (channel) => listener.listening(channel),
      close: async () => {
        await listener.close();
        await pool.end();
      },
    };
  }
  const client = options.pglite ?? new PGlite(options.dataDir);
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  await migratePglite(db as never, { migrationsFolder: MIGRATIONS_FOLDER });
  // In process, nothing between a commit and its listeners can be lost: listened is heard.
  const channels = new Map<string, number>();
  return {
    db,
    kind: 'pglite',
    listen: async (channel, onNotify) => {
      assertChannel(channel);
      const unlisten = await client.listen(channel, (payload) => onNotify(payload));
      channels.set(channel, (channels.get(channel) ?? 0) + 1);
      let listening = true;
      return async () => {
        if (listening) channels.set(channel, channels.get(channel)! - 1);
        listening = false;
        await unlisten();
      };
    },
    listening: (channel) => (channels.get(channel) ?? 0) > 0,
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

/** Statements a connection keeps prepared on the server, at most; past that, they are sent unnamed. */
export const NAMED_STATEMENTS_PER_CONNECTION = 256;
const MAX_NAMED_TEXT = 8192;
const names = new Map<string, string>();

/** The server-side name of a statement: the same text gets the same name on every connection and replica. */
export function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `qiao_${createHash('sha256').update(text).digest('base64url').slice(0, 32)}`;
    if (names.size >= 1024) names.delete(names.keys().next().value!);
    names.set(text, name);
  }
  return name;
}

/** What pg's Connection records of the statements it prepared (not in its published types). */
interface PgConnectionState {
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
}

/**
 * Sends every parametrized statement as a named prepared statement, so each connection parses and
 * plans it once, not at every call (unnamed statements, drizzle's default, cost the server a parse
 * and a plan each time: measured, a third of PostgreSQL's CPU per inquiry). Statements without
 * parameters, very long ones and those past NAMED_STATEMENTS_PER_CONNECTION stay unnamed; so do
 * cursors and streams (submittables), and anything the caller named itself.
 *
 * When pg fails a query on its own side (a value it cannot serialise), it closes the statement on
 * the server but keeps it recorded as prepared, and the next use of that name would fail with
 * "prepared statement does not exist": that connection stops naming from then on.
 */
function nameStatements(client: pg.PoolClient): void {
  const query = client.query as (...args: unknown[]) => unknown;
  let named = 0;
  let naming = true;
  const stopOnClientError = (err: unknown) => {
    if (err && typeof err === 'object' && !('severity' in err)) naming = false;
  };
  client.query = function (this: pg.PoolClient, ...args: unknown[]) {
    const first = args[0];
    const config = typeof first === 'string' ? { text: first } : (first as Record<string, unknown> | null | undefined);
    const values = typeof args[1] === 'function' ? undefined : (args[1] ?? config?.values);
    if (
      !naming ||
      !config ||
      typeof config.text !== 'string' ||
      config.text.length > MAX_NAMED_TEXT ||
      config.name !== undefined ||
      typeof config.submit === 'function' ||
      !Array.isArray(values) ||
      values.length === 0
    ) {
      return query.apply(this, args);
    }
    const name = statementName(config.text);
    const { parsedStatements, submittedNamedStatements } = (this as unknown as { connection: PgConnectionState }).connection;
    if (parsedStatements[name] === undefined && submittedNamedStatements[name] === undefined) {
      if (named >= NAMED_STATEMENTS_PER_CONNECTION) return query.apply(this, args);
      named++;
    }
    args[0] = { ...config, name };
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last] as (err: unknown, res: unknown) => void;
      args[last] = (err: unknown, res: unknown) => {
        stopOnClientError(err);
        callback(err, res);
      };
      return query.apply(this, args);
    }
    const result = query.apply(this, args);
    if (result instanceof Promise) result.catch(stopOnClientError);
    return result;
  } as typeof client.query;
}

function assertChannel(channel: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`not a channel name: ${JSON.stringify(channel)}`);
}

/**
 * LISTEN holds a connection of its own, outside the pool, one for every channel of the database.
 * It is opened with the first channel. When the server or the network takes it away, it is opened
 * again every second until it is back; every listener is then called once without a payload,
 * since what was notified meanwhile is lost.
 */
function createPgListener(url: string, lost: (err: Error) => void) {
  const handlers = new Map<string, Set<(payload?: string) => void>>();
  let closed = false;
  let current: pg.Client | null = null;
  /** The channels `current` has answered LISTEN for. */
  const heard = new Set<string>();
  let connecting: Promise<void> | null = null;
  let retry: NodeJS.Timeout | undefined;
  const everyone = () => {
    for (const set of handlers.values()) for (const h of set) h();
  };
  const again = () => {
    if (closed || retry || handlers.size === 0) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect(true).catch(() => {});
    }, 1000);
  };
  const connect = (reconnecting: boolean): Promise<void> =>
    (connecting ??= (async () => {
      if (current || closed) return;
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
      client.on('error', lost);
      client.on('end', () => {
        if (current === client) {
          current = null;
          heard.clear();
        }
        again();
      });
      client.on('notification', (n) => {
        for (const h of handlers.get(n.channel) ?? []) h(n.payload || undefined);
      });
      try {
        await client.connect();
        for (const channel of handlers.keys()) await client.query(`LISTEN ${channel}`);
        if (closed) return void (await client.end());
        current = client;
        for (const channel of handlers.keys()) heard.add(channel);
        if (reconnecting) everyone();
      } catch (err) {
        await client.end().catch(() => {});
        if (!reconnecting) throw err;
        lost(err as Error);
        again();
      }
    })().finally(() => (connecting = null)));

  return {
    async listen(channel: string, onNotify: (payload?: string) => void): Promise<() => Promise<void>> {
      assertChannel(channel);
      if (closed) throw new Error('the database is closed: cannot listen');
      let set = handlers.get(channel);
      const fresh = !set;
      if (!set) handlers.set(channel, (set = new Set()));
      set.add(onNotify);
      try {
        if (connecting) await connecting.catch(() => {});
        if (!current) await connect(false);
        else if (fresh) {
          const client = current;
          await client.query(`LISTEN ${channel}`);
          if (current === client) heard.add(channel);
        }
      } catch (err) {
        set.delete(onNotify);
        if (set.size === 0) handlers.delete(channel);
        throw err;
      }
      return async () => {
        set.delete(onNotify);
        if (set.size === 0 && handlers.get(channel) === set) {
          handlers.delete(channel);
          heard.delete(channel);
          await current?.query(`UNLISTEN ${channel}`).catch(() => {});
        }
      };
    },
    listening(channel: string): boolean {
      return current !== null && heard.has(channel);
    },
    async close(): Promise<void> {
      closed = true;
      clearTimeout(retry);
      await connecting?.catch(() => {});
      await current?.end().catch(() => {});
      current = null;
    },
  };
}

/**
 * `build(db)` made once per database and kept while the database is (a drizzle prepared query,
 * say: building a query costs more than running it).
 */
export function perDatabase<T>(build: (db: Db) => T): (db: Db) => T {
  const built = new WeakMap<Db, T>();
  return (db) => {
    let value = built.get(db);
    if (value === undefined) built.set(db, (value = build(db)));
    return value;
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
