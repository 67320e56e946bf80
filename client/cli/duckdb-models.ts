import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { buildTables, ModelError, parseModel, toFindings, type Finding, type Model, type ParameterValue, type SourcedRecord, type Table } from '../core/models';

/**
 * Runs comparison models with DuckDB (@duckdb/node-api) in this process, in memory: the
 * decrypted records never touch the disk and never leave the machine.
 */

export async function loadModels(dir: string): Promise<Model[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  } catch {
    throw new ModelError(`cannot read the models folder ${dir}: pass --models <dir>`);
  }
  return Promise.all(files.map(async (f) => parseModel(await readFile(join(dir, f), 'utf8'), join(dir, f))));
}

export async function findModel(dir: string, name: string): Promise<Model> {
  const models = await loadModels(dir);
  const model = models.find((m) => m.name === name);
  if (!model) throw new ModelError(`no model ${name} in ${dir}; models there: ${models.map((m) => m.name).join(', ') || 'none'}`);
  return model;
}

async function load(connection: DuckDBConnection, table: Table): Promise<void> {
  const quote = (n: string) => `"${n.replaceAll('"', '""')}"`;
  await connection.run(`CREATE TABLE ${quote(table.name)} (${table.columns.map((c) => `${quote(c.name)} ${c.type}`).join(', ')})`);
  const appender = await connection.createAppender(table.name);
  for (const row of table.rows) {
    table.columns.forEach((c, i) => {
      const v = row[i];
      if (v === null || v === undefined) appender.appendNull();
      else if (c.type === 'BIGINT') appender.appendBigInt(BigInt(v as number));
      else if (c.type === 'DOUBLE') appender.appendDouble(v as number);
      else if (c.type === 'BOOLEAN') appender.appendBoolean(v as boolean);
      else appender.appendVarchar(v as string);
    });
    appender.endRow();
  }
  appender.closeSync();
}

/** Loads the model's tables from the records, runs its SQL with the parameters, and returns its findings. */
export async function runModel(model: Model, records: readonly SourcedRecord[], parameters: Record<string, ParameterValue>): Promise<Finding[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    for (const table of buildTables(model, records)) await load(connection, table);
    let reader;
    try {
      reader = await connection.runAndReadAll(model.sql, parameters);
    } catch (error) {
      throw new ModelError(`model ${model.name}: DuckDB refused its SQL: ${(error as Error).message}`);
    }
    const rows = reader.getRowObjectsJS() as Record<string, unknown>[];
    return toFindings(model, reader.columnNames(), rows.map(plain), records);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** DuckDB's JS values made printable: bigints as numbers, dates as ISO dates. */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = convert(v);
  return out;
}
function convert(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (Array.isArray(v)) return v.map(convert);
  return v;
}
