/**
 * Comparison models (models/*.sql): SQL for DuckDB with a header saying what each needs. They run
 * where the plaintext is — on the client, over decrypted records loaded as one table per
 * category — never at the gateway. This module is the engine-free part, shared by the command
 * line (@duckdb/node-api) and, later, the console (duckdb-wasm): reading a model file, the tables
 * a model gets, and what its findings must look like. Format: models/README.md.
 */

export const MODEL_FORMAT = 'v1';
const NAME = /^[a-z][a-z0-9-]{1,62}$/;
const IDENT = /^[a-z][a-z0-9_]{0,62}$/;
export const PARAMETER_TYPES = ['integer', 'number', 'text'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];
export type ParameterValue = number | string;

export interface ModelParameter {
  name: string;
  type: ParameterType;
  default: ParameterValue;
  description: string;
}

export interface Model {
  name: string;
  title: string;
  /** Category → the fields the model reads (its table's columns besides the fixed ones). */
  needs: Record<string, string[]>;
  parameters: ModelParameter[];
  explains: string;
  sql: string;
}

/** Columns every table has besides the model's fields: where each record came from. */
export const RECORD_COLUMNS = ['ref', 'inquiry_id', 'department', 'subject'] as const;
/** Columns every finding row must have; the rest are shown as details. */
export const FINDING_COLUMNS = ['finding', 'records'] as const;

export class ModelError extends Error {
  override readonly name = 'ModelError';
}

/** Reads a model file; `source` names it in messages, and its base name must be the model's name. */
export function parseModel(text: string, source: string): Model {
  const lines = text.split(/\r?\n/);
  const header: { key: string; value: string; line: number }[] = [];
  let body = 0;
  for (; body < lines.length; body++) {
    const line = lines[body]!;
    const field = /^--\s([a-z_-]+):\s*(.*)$/.exec(line);
    const more = /^--\s{2,}(\S.*)$/.exec(line);
    if (field) header.push({ key: field[1]!, value: field[2]!.trim(), line: body + 1 });
    else if (more && header.length > 0) header[header.length - 1]!.value += ` ${more[1]!.trim()}`;
    else if (line.trim() !== '') break;
  }
  const fail = (line: number | undefined, message: string) => new ModelError(`${source}${line ? `:${line}` : ''}: ${message}`);
  const one = (key: string) => {
    const found = header.filter((h) => h.key === key);
    if (found.length !== 1) throw fail(found[1]?.line, found.length ? `"${key}" given more than once` : `the header has no "-- ${key}:" line`);
    return found[0]!;
  };
  for (const h of header) {
    if (!['qiao-model', 'name', 'title', 'needs', 'parameter', 'explains'].includes(h.key)) throw fail(h.line, `unknown header field "${h.key}"`);
  }
  const format = one('qiao-model');
  if (format.value !== MODEL_FORMAT) throw fail(format.line, `model format ${format.value} is not ${MODEL_FORMAT}`);
  const name = one('name');
  if (!NAME.test(name.value)) throw fail(name.line, `name "${name.value}" must be lowercase kebab-case`);
  const base = source.split(/[\\/]/).pop()!.replace(/\.sql$/, '');
  if (base !== name.value && source.endsWith('.sql')) throw fail(name.line, `name "${name.value}" differs from the file name ${base}.sql`);
  const title = one('title');
  const explains = one('explains');
  if (!title.value || !explains.value) throw fail((title.value ? explains : title).line, 'title and explains must not be empty');

  const needs: Record<string, string[]> = {};
  const needLines = header.filter((h) => h.key === 'needs');
  if (needLines.length === 0) throw fail(undefined, 'the header has no "-- needs: category(field, …)" line');
  for (const h of needLines) {
    const m = /^([a-z][a-z0-9_]*)\(([^)]*)\)$/.exec(h.value);
    if (!m) throw fail(h.line, `"needs: ${h.value}" is not category(field, …)`);
    const fields = m[2]!.split(',').map((f) => f.trim()).filter(Boolean);
    for (const f of fields) if (!IDENT.test(f) || (RECORD_COLUMNS as readonly string[]).includes(f)) throw fail(h.line, `"${f}" is not a field name a model may declare`);
    if (needs[m[1]!]) throw fail(h.line, `category ${m[1]} needed twice`);
    needs[m[1]!] = fields;
  }

  const parameters = header.filter((h) => h.key === 'parameter').map((h): ModelParameter => {
    const m = /^([a-z][a-z0-9_]*)\s+(\S+)\s+(\S+)\s+--\s+(.+)$/.exec(h.value);
    if (!m) throw fail(h.line, `"parameter: ${h.value}" is not "name type default -- description"`);
    const type = m[2] as ParameterType;
    if (!PARAMETER_TYPES.includes(type)) throw fail(h.line, `parameter ${m[1]}: type ${m[2]} is not one of ${PARAMETER_TYPES.join(', ')}`);
    return { name: m[1]!, type, default: parameterValue(type, m[3]!, `${source}:${h.line}: parameter ${m[1]}`), description: m[4]! };
  });
  const sql = lines.slice(body).join('\n').trim();
  if (!sql) throw fail(undefined, 'the model has no SQL after its header');
  for (const p of parameters) if (!sql.includes(`$${p.name}`)) throw fail(undefined, `parameter ${p.name} is declared but the SQL never uses $${p.name}`);
  return { name: name.value, title: title.value, needs, parameters, explains: explains.value, sql };
}

export function parameterValue(type: ParameterType, text: string, where: string): ParameterValue {
  if (type === 'text') return text;
  const n = Number(text);
  if (!Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) throw new ModelError(`${where}: "${text}" is not ${type === 'integer' ? 'an integer' : 'a number'}`);
  return n;
}

/** The parameter values of a run: the defaults, overridden by `name=value` pairs. */
export function resolveParameters(model: Model, given: readonly string[]): Record<string, ParameterValue> {
  const values: Record<string, ParameterValue> = Object.fromEntries(model.parameters.map((p) => [p.name, p.default]));
  for (const pair of given) {
    const [name, ...rest] = pair.split('=');
    const p = model.parameters.find((x) => x.name === name);
    if (!p || rest.length === 0) {
      throw new ModelError(`--param ${pair}: model ${model.name} takes ${model.parameters.map((x) => `${x.name}=<${x.type}>`).join(', ') || 'no parameters'}`);
    }
    values[p.name] = parameterValue(p.type, rest.join('='), `--param ${name}`);
  }
  return values;
}

/** A decrypted record with where it came from: `ref` is `<inquiry>/<department>/<n>` (n counts from 1 in that department's answer). */
export interface SourcedRecord {
  ref: string;
  inquiryId: string;
  department: string;
  record: Record<string, unknown>;
}

export type ColumnType = 'VARCHAR' | 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'JSON';

export interface Table {
  name: string;
  columns: { name: string; type: ColumnType }[];
  rows: unknown[][];
}

/**
 * One table per category the model needs: the fixed record columns and the model's fields,
 * typed by their values (integers, numbers, booleans, lists and objects as JSON, else text — dates
 * stay text: models CAST them). The same record from two inquiries is loaded once.
 */
export function buildTables(model: Model, records: readonly SourcedRecord[]): Table[] {
  return Object.entries(model.needs).map(([category, fields]) => {
    const seen = new Set<string>();
    const rows: unknown[][] = [];
    for (const r of records) {
      if (r.record.category !== category) continue;
      const values = fields.map((f) => (Object.hasOwn(r.record, f) ? r.record[f] : null) ?? null);
      const key = JSON.stringify([r.department, r.record.subject, values]);
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push([r.ref, r.inquiryId, r.department, String(r.record.subject ?? ''), ...values]);
    }
    const names = [...RECORD_COLUMNS, ...fields];
    const columns = names.map((name, i) => ({ name, type: i < RECORD_COLUMNS.length ? ('VARCHAR' as const) : columnType(rows.map((row) => row[i])) }));
    for (const row of rows) {
      columns.forEach((c, i) => {
        const v = row[i];
        if (v === null) return;
        if (c.type === 'JSON' || (c.type === 'VARCHAR' && typeof v === 'object')) row[i] = JSON.stringify(v);
        else if (c.type === 'VARCHAR') row[i] = String(v);
      });
    }
    return { name: category, columns, rows };
  });
}

function columnType(values: unknown[]): ColumnType {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length === 0) return 'VARCHAR';
  if (present.every((v) => typeof v === 'boolean')) return 'BOOLEAN';
  if (present.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) return 'BIGINT';
  if (present.every((v) => typeof v === 'number' && Number.isFinite(v))) return 'DOUBLE';
  if (present.every((v) => typeof v === 'object')) return 'JSON';
  return 'VARCHAR';
}

export interface Finding {
  finding: string;
  /** The records that support it, each with where it came from. */
  records: SourcedRecord[];
  details: Record<string, unknown>;
}

/** Checks a model's result rows against the finding contract and resolves each row's record refs. */
export function toFindings(model: Model, columns: readonly string[], rows: readonly Record<string, unknown>[], records: readonly SourcedRecord[]): Finding[] {
  for (const c of FINDING_COLUMNS) if (!columns.includes(c)) throw new ModelError(`model ${model.name}: its result has no "${c}" column (a finding row needs ${FINDING_COLUMNS.join(' and ')})`);
  const byRef = new Map(records.map((r) => [r.ref, r]));
  return rows.map((row) => {
    const refs = row.records;
    if (!Array.isArray(refs) || refs.some((x) => typeof x !== 'string')) throw new ModelError(`model ${model.name}: "records" must be a list of record refs`);
    const supporting = (refs as string[]).map((ref) => {
      const r = byRef.get(ref);
      if (!r) throw new ModelError(`model ${model.name}: a finding names record ${ref}, which was not loaded`);
      return r;
    });
    const details = Object.fromEntries(Object.entries(row).filter(([k]) => !(FINDING_COLUMNS as readonly string[]).includes(k)));
    return { finding: String(row.finding), records: supporting, details };
  });
}
