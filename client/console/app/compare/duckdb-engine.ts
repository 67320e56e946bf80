import * as duckdb from '@duckdb/duckdb-wasm';
import { buildTables, ModelError, toFindings, type Finding, type Model, type ParameterValue, type SourcedRecord, type Table } from '../../../core/models';

/**
 * Comparison models run in this browser with duckdb-wasm, in memory, in a worker of the console's
 * own origin: the decrypted records never leave the page. The engine (≈ 34 MB of WebAssembly) is
 * fetched and compiled the first time someone compares, then kept for the session. The tables,
 * the finding contract and the record refs are client/core's (models.ts), as in `qiao compare`.
 */
let engine: Promise<duckdb.AsyncDuckDB> | null = null;

function start(): Promise<duckdb.AsyncDuckDB> {
  engine ??= (async () => {
    const worker = new Worker(QIAO_DUCKDB_WORKER);
    const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
    await db.instantiate(QIAO_DUCKDB_WASM);
    return db;
  })().catch((error: unknown) => {
    engine = null;
    throw new Error(`the comparison engine (duckdb-wasm) did not start: ${(error as Error).message}`);
  });
  return engine;
}

const quote = (n: string) => `"${n.replaceAll('"', '""')}"`;

/**
 * duckdb-wasm binds positional parameters only: the model's `$name`s become literals of their
 * declared type (numbers checked finite by resolveParameters, text quoted), outside string
 * literals of the SQL.
 */
export function bindParameters(model: Model, parameters: Record<string, ParameterValue>): string {
  const literal = (name: string) => {
    const value = parameters[name];
    if (value === undefined) throw new ModelError(`model ${model.name}: no value for parameter ${name}`);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new ModelError(`model ${model.name}: parameter ${name} is not a finite number`);
      return String(value);
    }
    return `'${value.replaceAll("'", "''")}'`;
  };
  // Split on string literals ('…' with '' inside) and comments, and replace only in the code between them.
  return model.sql.replace(/('(?:[^']|'')*')|(--[^\n]*)|\$([a-z][a-z0-9_]*)/g, (match, str: string | undefined, comment: string | undefined, name: string | undefined) =>
    str !== undefined || comment !== undefined ? match : literal(name!),
  );
}

async function load(connection: duckdb.AsyncDuckDBConnection, table: Table): Promise<void> {
  await connection.query(`CREATE TABLE ${quote(table.name)} (${table.columns.map((c) => `${quote(c.name)} ${c.type}`).join(', ')})`);
  if (table.rows.length === 0) return;
  const insert = await connection.prepare(`INSERT INTO ${quote(table.name)} VALUES (${table.columns.map(() => '?').join(', ')})`);
  try {
    for (const row of table.rows) await insert.query(...row);
  } finally {
    await insert.close();
  }
}

/** Arrow's values made plain, as the command line does with DuckDB's: bigints as numbers, lists as arrays, dates as ISO dates. */
function plain(value: unknown, type?: string): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'number' && type?.startsWith('Date')) return new Date(value).toISOString().slice(0, 10);
  if (value && typeof value === 'object' && typeof (value as { toArray?: unknown }).toArray === 'function') return Array.from(value as Iterable<unknown>, (v) => plain(v));
  return value;
}

/** Loads the model's tables from the records, runs its SQL with the parameters, and returns its findings. */
export async function runModelInBrowser(model: Model, records: readonly SourcedRecord[], parameters: Record<string, ParameterValue>): Promise<Finding[]> {
  const db = await start();
  const connection = await db.connect();
  const tables = buildTables(model, records);
  try {
    for (const table of tables) await load(connection, table);
    let result;
    try {
      result = await connection.query(bindParameters(model, parameters));
    } catch (error) {
      throw new ModelError(`model ${model.name}: DuckDB refused its SQL: ${(error as Error).message}`);
    }
    const columns = result.schema.fields.map((f) => f.name);
    const types = Object.fromEntries(result.schema.fields.map((f) => [f.name, String(f.type)]));
    const rows = result.toArray().map((row: { toJSON(): Record<string, unknown> }) => {
      const json = row.toJSON();
      return Object.fromEntries(columns.map((c) => [c, plain(json[c], types[c])]));
    });
    return toFindings(model, columns, rows, records);
  } finally {
    // Each run starts from an empty database: nothing of one inquiry's records stays for the next.
    for (const table of tables) await connection.query(`DROP TABLE IF EXISTS ${quote(table.name)}`).catch(() => undefined);
    await connection.close();
  }
}
