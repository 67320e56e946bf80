import { sql } from 'drizzle-orm';
import type { Catalogue } from '../catalogue';
import type { Db } from '../db/client';
import { auditAppendOf, type AuditWriter } from '../services/audit/append-audit';
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
 * Issues the warrants of the parts of one claim in ONE statement: each part fenced by its lease
 * and given its warrant id, every warrant stored, every `warrant.issued` entry appended (one lock
 * of the audit log for all), committed on its own. A warrant is still committed together with
 * its audit entry, and before it leaves; what is saved is a transaction, a fence and an audit
 * append per part, and the reads of an inquiry shared by several of the parts.
 *
 * Each part gets its own outcome and never rejects: a part whose warrant cannot be built, or
 * whose lease is gone, does not keep the others from being issued.
 */
export async function issueWarrants(
  db: Db,
  input: { parts: readonly LeasedWarrantPart[]; workerId: string; signer: WarrantSigner; catalogue: Catalogue; now: Date; audit: AuditWriter },
): Promise<Map<string, WarrantOutcome>> {
  const outcomes = new Map<string, WarrantOutcome>();
  // An approval makes all its parts due at once: their inquiry and approvals are read once.
  const sources = new Map<string, Promise<WarrantSource>>();
  const sourceOf = (inquiryId: string) => {
    let source = sources.get(inquiryId);
    if (!source) sources.set(inquiryId, (source = loadWarrantSource(db, inquiryId)));
    return source;
  };
  // In the claim's order (the audit entries follow it), whichever is signed first.
  const signed = (
    await Promise.all(
      input.parts.map(async (part) => {
        try {
          const warrant = await signPartWarrant(db, { part, signer: input.signer, catalogue: input.catalogue, now: input.now, source: sourceOf(part.inquiryId) });
          return { part, warrant };
        } catch (error) {
          outcomes.set(part.id, { ok: false, error });
          return null;
        }
      }),
    )
  ).filter((s): s is { part: LeasedWarrantPart; warrant: IssuedWarrant } => s !== null);
  if (signed.length === 0) return outcomes;
  try {
    // ONE statement, committed on its own: the fence of every part at once (still running, under
    // this worker's lease, this attempt) gives it its warrant id; the warrants of the parts it
    // held are stored and their `warrant.issued` entries appended, and nothing of a part whose
    // lease is gone.
    const rows = signed.map(({ part, warrant }) => warrantRow(part, part.attempts, warrant));
    const entries = signed.map(({ part, warrant }) => warrantIssuedEntry(part, part.attempts, warrant, input.signer));
    const append = auditAppendOf(entries, input.audit, input.now, { keys: signed.map(({ part }) => part.id), in: sql`SELECT id::text FROM fenced` });
    const [written] = await append.execute<{ ids: string[] }>(
      db,
      sql`
        WITH fence(id, attempts, warrant_id) AS (
          SELECT * FROM unnest(${sql.param(rows.map((r) => r.partId))}::uuid[], ${sql.param(rows.map((r) => r.attempt))}::integer[], ${sql.param(rows.map((r) => r.warrantId))}::text[])
        ), fenced AS (
          UPDATE inquiry_parts AS p
          SET warrant_id = fence.warrant_id, updated_at = ${input.now.toISOString()}::timestamptz
          FROM fence
          WHERE p.id = fence.id AND p.attempts = fence.attempts AND p.status = 'running' AND p.lease_owner = ${input.workerId}
          RETURNING p.id
        ), stored AS (
          INSERT INTO warrants (warrant_id, part_id, inquiry_id, department, attempt, jws, sha256, issued_at, expires_at)
          SELECT * FROM unnest(${sql.param(rows.map((r) => r.warrantId))}::text[], ${sql.param(rows.map((r) => r.partId))}::uuid[],
            ${sql.param(rows.map((r) => r.inquiryId))}::uuid[], ${sql.param(rows.map((r) => r.department))}::text[],
            ${sql.param(rows.map((r) => r.attempt))}::integer[], ${sql.param(rows.map((r) => r.jws))}::text[], ${sql.param(rows.map((r) => r.sha256))}::text[],
            ${sql.param(rows.map((r) => r.issuedAt.toISOString()))}::timestamptz[], ${sql.param(rows.map((r) => r.expiresAt.toISOString()))}::timestamptz[])
            AS w(warrant_id, part_id, inquiry_id, department, attempt, jws, sha256, issued_at, expires_at)
          WHERE w.part_id IN (SELECT id FROM fenced)
        )
        SELECT coalesce((SELECT array_agg(id::text) FROM fenced), '{}') AS ids, ${append.call} AS first`,
    );
    const ids = new Set(written?.ids ?? []);
    append.committed(entries.filter((_, i) => ids.has(signed[i]!.part.id)));
    for (const { part, warrant } of signed) outcomes.set(part.id, ids.has(part.id) ? { ok: true, warrant } : { ok: false, error: new LeaseLost() });
  } catch (error) {
    for (const { part } of signed) outcomes.set(part.id, { ok: false, error });
  }
  return outcomes;
}
