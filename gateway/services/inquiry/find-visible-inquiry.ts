import { eq, sql, type SQL } from 'drizzle-orm';
import { perDatabase, type Db, type DbOrTx } from '../../db/client';
import { inquiries } from '../../db/schema';
import { ServiceError } from '../../errors';
import type { Resource } from '../../policy/authorize';
import type { RequestContext } from '../context';
import type { DirectoryCache } from '../unit/directory-cache';

/** A unit's ancestry: the directory cache's (services' `directory.ancestry`). */
type Ancestry = DirectoryCache['ancestry'];
import { effectiveState } from './expire';
import { readInquiry, type InquiryRow, type InquiryView } from './view';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can name an inquiry at all: a malformed one must not reach the uuid cast in SQL. */
export const isInquiryId = (id: string) => UUID.test(id);

/**
 * The one answer for "no such inquiry" and "an inquiry you may not see": same status, same
 * message, so a caller cannot probe which ids exist in other units.
 */
export function inquiryNotFound(): ServiceError {
  return new ServiceError('not_found', 'inquiry not found');
}

export type InquiryResource = Extract<Resource, { kind: 'inquiry' }>;

/** The inquiry as policies see it: its unit's ancestry, the submitter's, its state as of `now`. */
export async function inquiryResource(row: InquiryRow, now: Date, ancestry: Ancestry): Promise<InquiryResource> {
  const unitPath = await ancestry(row.unitId);
  const entrusted = row.submittedFromUnitId !== null && row.submittedFromUnitId !== row.unitId;
  return {
    kind: 'inquiry',
    id: row.id,
    unitPath,
    submittedFromPath: entrusted ? await ancestry(row.submittedFromUnitId!) : unitPath,
    createdBy: row.createdBy,
    state: effectiveState(row, now),
    sensitivity: row.sensitivity,
  };
}

/**
 * Loads an inquiry with its unit ancestry, whoever may see it; null if there is none. With
 * `forUpdate` the row is locked until the surrounding transaction ends, so two decisions cannot race.
 */
export async function findInquiry(
  db: DbOrTx,
  id: string,
  options: { forUpdate?: boolean; now: Date; ancestry: Ancestry },
): Promise<{ row: InquiryRow; resource: InquiryResource } | null> {
  // A malformed id names no inquiry; checking here keeps it from reaching the uuid cast in SQL.
  if (!UUID.test(id)) return null;
  const query = db.select().from(inquiries).where(eq(inquiries.id, id));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  if (!row) return null;
  return { row, resource: await inquiryResource(row, options.now, (unitId) => options.ancestry(unitId, db)) };
}

/** Loads an inquiry the caller may read, or throws `inquiryNotFound()`. */
export async function findVisibleInquiry(
  ctx: RequestContext,
  db: DbOrTx,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<{ row: InquiryRow; resource: InquiryResource }> {
  const found = await findInquiry(db, id, { ...options, now: ctx.clock(), ancestry: ctx.directory.ancestry });
  if (!found || !ctx.policy.authorize(ctx.principal, 'inquiry.read', found.resource).allowed) throw inquiryNotFound();
  return found;
}

/**
 * Reads an inquiry the caller may read together with its view — one statement, the same read
 * authorizing it and showing it — or throws `inquiryNotFound()`.
 */
export async function readVisibleInquiry(ctx: RequestContext, id: string): Promise<{ row: InquiryRow; resource: InquiryResource; view: InquiryView }> {
  if (!UUID.test(id)) throw inquiryNotFound();
  const found = await readInquiry(ctx.db, id);
  if (!found) throw inquiryNotFound();
  const now = ctx.clock();
  return { row: found.row, resource: await authorizeRead(ctx, found.row, now), view: found.view(now) };
}

/**
 * A read of one inquiry by id together with `extra` (a correlated subquery on `"inquiries"`, e.g.
 * its parts and results, whose own values are placeholders), prepared once per database under
 * `name`: one statement, without building the query again at every call.
 */
export function inquiryReadWith<E>(name: string, extra: SQL<E>) {
  const prepared = perDatabase((db) =>
    db
      .select({ row: inquiries, extra })
      .from(inquiries)
      .where(eq(inquiries.id, sql.placeholder('id')))
      .prepare(name),
  );
  return async (db: Db, values: { id: string } & Record<string, unknown>): Promise<{ row: InquiryRow; extra: E } | undefined> => {
    const [found] = await prepared(db).execute(values);
    return found as { row: InquiryRow; extra: E } | undefined;
  };
}

/**
 * Reads an inquiry the caller may read with what `read` (an `inquiryReadWith`) adds, given the
 * values of its placeholders, in one statement, or throws `inquiryNotFound()`.
 */
export async function readVisibleInquiryWith<E>(
  ctx: RequestContext,
  id: string,
  read: ReturnType<typeof inquiryReadWith<E>>,
  values: Record<string, unknown> = {},
): Promise<{ row: InquiryRow; resource: InquiryResource; extra: E }> {
  if (!UUID.test(id)) throw inquiryNotFound();
  const found = await read(ctx.db, { ...values, id });
  if (!found) throw inquiryNotFound();
  return { row: found.row, resource: await authorizeRead(ctx, found.row, ctx.clock()), extra: found.extra };
}

async function authorizeRead(ctx: RequestContext, row: InquiryRow, now: Date): Promise<InquiryResource> {
  const resource = await inquiryResource(row, now, (unitId) => ctx.directory.ancestry(unitId, ctx.db));
  if (!ctx.policy.authorize(ctx.principal, 'inquiry.read', resource).allowed) throw inquiryNotFound();
  return resource;
}
