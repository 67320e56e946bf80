import { createHash, randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { JWK } from 'jose';
import { signWarrant, WARRANT_ISSUER, type WarrantClaims } from '../../proto/warrant';
import type { Catalogue } from '../catalogue';
import type { Db, DbOrTx, Tx } from '../db/client';
import { inquiries, inquiryDecisions, units, users, warrants, type StoredStatement } from '../db/schema';
import type { WarrantEvidence } from '../../proto/approval-evidence';
import { appendAudit, type AuditEntry, type AuditWriter } from '../services/audit/append-audit';
import { pseudonymize } from './pseudonym';

/** What the gateway signs warrants with. */
export interface WarrantSigner {
  /** The gateway's private Ed25519 warrant key (JWK with kid): keys/warrant-signing.jwk. */
  privateJwk: JWK;
  /** HMAC key of the pseudonymous case references and approver ids: keys/pseudonym.key. */
  pseudonymKey: Uint8Array;
  /** exp − iat; default 5 minutes. The department checks it when the call arrives. */
  ttlMs?: number;
}

/** The part a warrant is issued for. */
export interface WarrantPart {
  id: string;
  inquiryId: string;
  department: string;
  categories: string[];
}

export type WarrantIssueProblem =
  | 'inquiry_not_found'
  | 'not_approved'
  | 'no_approvals'
  | 'no_recipient_key'
  | 'category_not_served';

/** The warrant cannot be built from what the database holds; retrying will not change that. */
export class WarrantIssueError extends Error {
  override readonly name = 'WarrantIssueError';
  constructor(
    readonly problem: WarrantIssueProblem,
    message: string,
  ) {
    super(message);
  }
}

/** What the warrants of an inquiry are built from: the inquiry, its unit's key, its approvals. Read once for all its parts. */
export interface WarrantSource {
  inquiry: typeof inquiries.$inferSelect;
  unitKey: JWK;
  unitKeyCert: string | null;
  approvals: { userId: string; unitId: string; decidedAt: Date; signature: string | null; certificate: string | null }[];
}

/** Reads what an inquiry's warrants are built from, and refuses an inquiry no warrant may be issued for. */
export async function loadWarrantSource(db: DbOrTx, inquiryId: string): Promise<WarrantSource> {
  // One statement: the inquiry, its unit's key and its approvals in the order they were made
  // (decided_at as whole milliseconds since the epoch: what a timestamp column reads as a Date).
  const [row] = await db
    .select({
      inquiry: inquiries,
      unitKey: units.encryptionKey,
      unitKeyCert: units.encryptionKeyCert,
      approvals: sql<{ userId: string; unitId: string; decidedAtMs: string | number; signature: string | null; certificate: string | null }[]>`coalesce((
        select json_agg(json_build_object('userId', d.user_id, 'unitId', u.unit_id, 'decidedAtMs', floor(extract(epoch from d.decided_at) * 1000)::bigint,
          'signature', d.signature, 'certificate', d.certificate) order by d.decided_at)
        from ${inquiryDecisions} d join ${users} u on u.id = d.user_id
        where d.inquiry_id = ${inquiries.id} and d.decision = 'approve'), '[]'::json)`,
    })
    .from(inquiries)
    .innerJoin(units, eq(units.id, inquiries.unitId))
    .where(eq(inquiries.id, inquiryId));
  if (!row) throw new WarrantIssueError('inquiry_not_found', `inquiry ${inquiryId} not found`);
  const { inquiry, unitKey, unitKeyCert } = row;
  if (inquiry.state !== 'approved') throw new WarrantIssueError('not_approved', `inquiry is ${inquiry.state}, not approved`);
  if (!unitKey) throw new WarrantIssueError('no_recipient_key', `unit ${inquiry.unitId} has no public encryption key`);
  const approvals = row.approvals.map(({ decidedAtMs, ...a }) => ({ ...a, decidedAt: new Date(Number(decidedAtMs)) }));
  if (approvals.length === 0) throw new WarrantIssueError('no_approvals', 'inquiry has no approvals');
  return { inquiry, unitKey, unitKeyCert, approvals };
}

/** Claims of the warrant for one part: read from the inquiry, its approvals, its unit and the catalogue. */
export async function buildWarrantClaims(
  db: DbOrTx,
  input: { part: WarrantPart; catalogue: Catalogue; pseudonymKey: Uint8Array; now: Date; ttlMs: number; jti?: string },
): Promise<WarrantClaims> {
  return warrantClaimsFrom(await loadWarrantSource(db, input.part.inquiryId), input);
}

/** Claims of the warrant for one part of the inquiry `source` was read for. */
export function warrantClaimsFrom(
  source: WarrantSource,
  input: { part: WarrantPart; catalogue: Catalogue; pseudonymKey: Uint8Array; now: Date; ttlMs: number; jti?: string },
): WarrantClaims {
  const { part } = input;
  const { inquiry, unitKey, unitKeyCert, approvals } = source;
  if (inquiry.id !== part.inquiryId) throw new Error(`warrant source is for inquiry ${inquiry.id}, not the part's ${part.inquiryId}`);

  const categories: Record<string, string[]> = {};
  for (const category of part.categories) {
    const entry = Object.hasOwn(input.catalogue.categories, category) ? input.catalogue.categories[category] : undefined;
    if (!entry || entry.department !== part.department) {
      throw new WarrantIssueError('category_not_served', `category ${category} is not served by ${part.department}`);
    }
    categories[category] = [...entry.fields];
  }

  const iat = Math.floor(input.now.getTime() / 1000);
  const { d: _private, ...publicKey } = unitKey;
  const evidence = warrantEvidence(inquiry.statement, approvals, part.categories);
  return {
    iss: WARRANT_ISSUER,
    aud: part.department,
    jti: input.jti ?? randomUUID(),
    iat,
    nbf: iat,
    exp: iat + Math.max(1, Math.ceil(input.ttlMs / 1000)),
    inquiry_id: inquiry.id,
    legal_basis: inquiry.legalBasis,
    case_ref: pseudonymize(input.pseudonymKey, 'case', `${inquiry.unitId}\0${inquiry.caseReference}`),
    // Names stay at the gateway: a warrant carries the kind and the checksummed id only.
    subjects: inquiry.subjects.map((s) => ({ kind: s.kind, id: s.id }) as WarrantClaims['subjects'][number]),
    categories,
    approvals: approvals.map((a) => ({
      approver: pseudonymize(input.pseudonymKey, 'approver', a.userId),
      unit: a.unitId,
      decided_at: a.decidedAt.toISOString(),
    })),
    // The directory authority's certificate travels with the key: departments refuse a key without it.
    recipient: {
      unit: inquiry.unitId,
      key: publicKey as WarrantClaims['recipient']['key'],
      ...(unitKeyCert ? { key_certificate: unitKeyCert } : {}),
    },
    ...(evidence ? { evidence } : {}),
  };
}

/**
 * What the department checks the warrant against, without trusting the gateway: the signed
 * statement and its certificate, the disclosures of this department's categories only (the
 * others stay digests), and every approval as it was signed. An inquiry submitted unsigned
 * (QIAO_REQUIRE_SIGNATURES=false) has none, and departments refuse its warrants.
 */
function warrantEvidence(
  statement: StoredStatement | null,
  approvals: readonly { signature: string | null; certificate: string | null }[],
  categories: readonly string[],
): WarrantEvidence | undefined {
  if (!statement) return undefined;
  const signed = approvals.filter((a): a is { signature: string; certificate: string } => a.signature !== null && a.certificate !== null);
  if (signed.length === 0) return undefined;
  return {
    statement: statement.statement,
    statement_certificate: statement.certificate,
    disclosures: statement.disclosures.filter((d) => categories.includes(d.category)),
    approvals: signed.map((a) => ({ decision: a.signature, certificate: a.certificate })),
  };
}

export interface IssuedWarrant {
  jws: string;
  claims: WarrantClaims;
  /** Lowercase hex SHA-256 of the compact JWS, as recorded in the audit log. */
  sha256: string;
}

/** Builds and signs the warrant of one part; nothing is stored yet (see `issueWarrant`, and fanout/warrant-batch.ts). */
export async function signPartWarrant(
  db: DbOrTx,
  input: { part: WarrantPart; signer: WarrantSigner; catalogue: Catalogue; now: Date; source?: Promise<WarrantSource> },
): Promise<IssuedWarrant> {
  const claims = warrantClaimsFrom(await (input.source ?? loadWarrantSource(db, input.part.inquiryId)), {
    part: input.part,
    catalogue: input.catalogue,
    pseudonymKey: input.signer.pseudonymKey,
    now: input.now,
    ttlMs: input.signer.ttlMs ?? 5 * 60_000,
  });
  const jws = await signWarrant(claims, { privateJwk: input.signer.privateJwk });
  return { jws, claims, sha256: createHash('sha256').update(jws).digest('hex') };
}

/** The stored copy of an issued warrant (db/schema/warrants.ts): the exact JWS the department receives. */
export function warrantRow(part: WarrantPart, attempt: number, warrant: IssuedWarrant): typeof warrants.$inferInsert {
  return {
    warrantId: warrant.claims.jti,
    partId: part.id,
    inquiryId: part.inquiryId,
    department: part.department,
    attempt,
    jws: warrant.jws,
    sha256: warrant.sha256,
    issuedAt: new Date(warrant.claims.iat * 1000),
    expiresAt: new Date(warrant.claims.exp * 1000),
  };
}

/** The `warrant.issued` audit entry of an issued warrant: its digest, never the JWS (the warrant names the subjects). */
export function warrantIssuedEntry(part: WarrantPart, attempt: number, warrant: IssuedWarrant, signer: WarrantSigner): AuditEntry {
  return {
    action: 'warrant.issued',
    inquiryId: part.inquiryId,
    details: {
      department: part.department,
      partId: part.id,
      warrantId: warrant.claims.jti,
      attempt,
      sha256: warrant.sha256,
      kid: signer.privateJwk.kid!, // signWarrant refuses a key without one
      categories: Object.keys(warrant.claims.categories),
      expiresAt: new Date(warrant.claims.exp * 1000).toISOString(),
    },
  };
}

/**
 * Builds and signs the warrant for one part, stores it and commits its 'warrant.issued' audit
 * entry before returning: no warrant leaves the gateway unlogged, and the exact JWS a department
 * receives is kept as evidence (db/schema/warrants.ts). `fence` runs in that same transaction;
 * if it throws, nothing is committed and the warrant must not be sent. The fan-out worker issues
 * the warrants of one claim together instead (fanout/warrant-batch.ts), with the same rows.
 */
export async function issueWarrant(
  db: Db,
  input: {
    part: WarrantPart;
    signer: WarrantSigner;
    catalogue: Catalogue;
    now: Date;
    /** The part's attempt this warrant is for (the lease's fencing number). */
    attempt: number;
    audit: AuditWriter;
    fence?: (tx: Tx, claims: WarrantClaims) => Promise<void>;
  },
): Promise<IssuedWarrant> {
  const issued = await signPartWarrant(db, input);
  await db.transaction(async (tx) => {
    await input.fence?.(tx, issued.claims);
    await tx.insert(warrants).values(warrantRow(input.part, input.attempt, issued));
    await appendAudit(tx, warrantIssuedEntry(input.part, input.attempt, issued, input.signer), input.audit);
  });
  return issued;
}
