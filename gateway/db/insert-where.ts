import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';

/**
 * `INSERT INTO table (…) SELECT … FROM (VALUES …) CROSS JOIN (guard)`: the rows inserted once
 * for each row `guard` (a SELECT) yields — all of them when it yields one, none when it yields
 * none — so one statement can insert them only when a condition over what it read or changed
 * holds (a fair-use count, a fenced update). Values are encoded as drizzle's `values()` encodes
 * them (JSON, arrays, dates) and cast to their column's type; the columns are those the rows
 * give (all the same), the others take their database default. Append `RETURNING …` as needed.
 */
export function insertWhere<T extends PgTable>(table: T, rows: readonly T['$inferInsert'][], guard: SQL): SQL {
  if (rows.length === 0) throw new TypeError('insertWhere: no rows');
  const all = Object.entries(getTableColumns(table));
  const columns = all.filter(([key]) => (rows[0] as Record<string, unknown>)[key] !== undefined);
  for (const [, column] of all) {
    if ((column.defaultFn || column.onUpdateFn) && !columns.some(([, c]) => c === column)) throw new TypeError(`insertWhere: ${column.name} has a default made in JavaScript; give its value`);
  }
  const values = rows.map((row) => {
    const r = row as Record<string, unknown>;
    if (Object.keys(r).filter((k) => r[k] !== undefined).length !== columns.length) throw new TypeError('insertWhere: every row must give the same columns');
    return sql`(${sql.join(
      columns.map(([key, column]) => sql`${r[key] === null ? null : sql.param(r[key], column)}::${sql.raw(column.getSQLType())}`),
      sql`, `,
    )})`;
  });
  const names = sql.join(columns.map(([, column]) => sql.identifier(column.name)), sql`, `);
  return sql`INSERT INTO ${table} (${names}) SELECT v.* FROM (VALUES ${sql.join(values, sql`, `)}) AS v(${names}) CROSS JOIN (${guard}) AS guard`;
}
