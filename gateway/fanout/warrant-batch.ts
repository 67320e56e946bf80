import { sql } from 'drizzle-orm';
import type { Catalogue } from '../catalogue';
import type { Db } from '../db/client';
import { warrants } from '../db/schema';
import { appendAuditEntries, type AuditWriter } from '../services/audit/append-audit';
import {
  loadWarrantSource,
  signPartWarrant,
  warrantIssuedEntry,
  warrantRow,
  type IssuedWarrant,
  type WarrantPart,
  type WarrantSigner,
  type WarrantSource,
} from '../warrants/issue-warrant';
import { LeaseLost } from './receive-answer';

/** A part of one claim, with the attempt its lease is for (the fencing number, claim.ts). */
export type LeasedWarrantPart = WarrantPart & { attempts: number };

/**
 * What became of one part's warrant: issued (stored, audited, committed: it may be sent), or the
 * error that stopped it — a `WarrantIssueError` (the database holds no warrant for it), a
 * `LeaseLost` (the worker no longer holds the part), or whatever failed the transaction.
 */
export type WarrantOutcome = { ok: true; warrant: IssuedWarrant } | { ok: false; error: unknown };

/**
 * Issues the warrants of the parts of one claim in ONE transaction: each part fenced by its lease
 * and given its warrant id, every warrant stored, every `warrant.issued` entry appended (one lock
 * of the audit log for all). A warrant is still committed together with its audit entry, and
 * before it leaves; what is saved is a transaction, a fence and an audit append per part, and the
 * reads of an inquiry shared by several of the parts.
 *
 * Each part gets its own outcome and never rejects: a part whose warrant cannot be built, or
 * whose lease is gone, does not keep the others from being issued.
 */
export async function issueWarrants(
  db: Db,
  input: { parts: readonly LeasedWarrantPart[]; workerId: string; signer: WarrantSigner; catalogue: Catalogue; now: Date; audit: AuditWriter },
): Promise<Map<string, WarrantOutcome>> {
  const outcomes = new Map<string, WarrantOutcome>();
  const signed: { part: LeasedWarrantPart; warrant: IssuedWarrant }[] = [];
  // An approval makes all its parts due at once: their inquiry and approvals are read once.
  const sources = new Map<string, Promise<WarrantSource>>();
  const sourceOf = (inquiryId: string) => {
    let source = sources.get(inquiryId);
    if (!source) sources.set(inquiryId, (source = loadWarrantSource(db, inquiryId)));
    return source;
  };
  await Promise.all(
    input.parts.map(async (part) => {
      try {
        const warrant = await signPartWarrant(db, { part, signer: input.signer, catalogue: input.catalogue, now: input.now, source: sourceOf(part.inquiryId) });
        signed.push({ part, warrant });
      } catch (error) {
        outcomes.set(part.id, { ok: false, error });
      }
    }),
  );
  if (signed.length === 0) return outcomes;
  try {
    const held = await db.transaction(async (tx) => {
      // The fence of every part at once: still running, under this worker's lease, this attempt.
      const rows = sql.join(
        signed.map(({ part, warrant }) => sql`(${part.id}::uuid, ${part.attempts}::integer, ${warrant.claims.jti}::text)`),
        sql`, `,
      );
      const fenced = await tx.execute(sql`
        UPDATE inquiry_parts AS p
        SET warrant_id = v.warrant_id, updated_at = ${input.now.toISOString()}::timestamptz
        FROM (VALUES ${rows}) AS v(id, attempts, warrant_id)
        WHERE p.id = v.id AND p.attempts = v.attempts AND p.status = 'running' AND p.lease_owner = ${input.workerId}
        RETURNING p.id`);
      // Both drivers (node-postgres, PGlite) answer a raw query with `{ rows }`.
      const ids = new Set((fenced as unknown as { rows: { id: string }[] }).rows.map((r) => r.id));
      const issued = signed.filter(({ part }) => ids.has(part.id));
      if (issued.length > 0) {
        await tx.insert(warrants).values(issued.map(({ part, warrant }) => warrantRow(part, part.attempts, warrant)));
        await appendAuditEntries(
          tx,
          issued.map(({ part, warrant }) => warrantIssuedEntry(part, part.attempts, warrant, input.signer)),
          input.audit,
        );
      }
      return ids;
    });
    for (const { part, warrant } of signed) outcomes.set(part.id, held.has(part.id) ? { ok: true, warrant } : { ok: false, error: new LeaseLost() });
  } catch (error) {
    for (const { part } of signed) outcomes.set(part.id, { ok: false, error });
  }
  return outcomes;
}
