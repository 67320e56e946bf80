import type { JWK } from 'jose';
import { z } from 'zod';
import { DecisionError, verifyDecision, type DecisionClaims } from './decision';
import {
  Disclosure,
  disclosureDigest,
  recipientKeyThumbprint,
  signedKeyId,
  statementDigest,
  StatementError,
  verifyStatement,
  type StatementClaims,
  type StatementSubject,
} from './inquiry-statement';
import {
  certificateValidAt,
  SignerCertificateError,
  verifySignerCertificate,
  type SignerCertificateClaims,
  type SignerRole,
} from './signer-certificate';

/**
 * The evidence a warrant carries so that a department can see for itself, without trusting the
 * gateway, that a certified investigator asked for exactly this and certified approvers approved
 * exactly that: the signed statement with its signer's certificate, this department's
 * disclosures, and each approval with its approver's certificate. `verifyEvidence` is the one
 * check: every department runs it (adapters/kit), the command line shows what it found.
 * Specified in docs/formats.md ("Warrant evidence").
 */
const jws = z.string().min(1).max(16_384);

export const WarrantEvidence = z.strictObject({
  statement: jws,
  statement_certificate: jws,
  /** The disclosures of this warrant's categories only. */
  disclosures: z.array(Disclosure).min(1).max(20),
  approvals: z.array(z.strictObject({ decision: jws, certificate: jws })).min(1).max(16),
});
export type WarrantEvidence = z.infer<typeof WarrantEvidence>;

export const EVIDENCE_ERROR_CODES = [
  'evidence_missing',
  'statement_invalid',
  'signer_not_certified',
  'signer_certificate_expired',
  'signer_revoked',
  'signer_wrong_role',
  'signer_wrong_unit',
  'decision_invalid',
  'decision_other_inquiry',
  'warrant_outside_statement',
  'approver_is_submitter',
  'approver_counted_twice',
] as const;
export type EvidenceErrorCode = (typeof EVIDENCE_ERROR_CODES)[number];

export class EvidenceError extends Error {
  override readonly name = 'EvidenceError';
  constructor(
    readonly code: EvidenceErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The GB/T 2260 league (or city) of a unit code, and its region (province). */
export const leagueOf = (unit: string): string => `${unit.slice(0, 4)}00`;
export const regionOf = (unit: string): string => `${unit.slice(0, 2)}0000`;

/** What of the warrant the evidence must cover. */
export interface EvidenceScope {
  inquiry_id: string;
  legal_basis: string;
  subjects: readonly StatementSubject[];
  categories: readonly string[];
  recipient: { unit: string; key: JWK };
}

export interface VerifiedApproval {
  kid: string;
  unit: string;
  role: SignerRole;
  step: number;
  decidedAt: number;
}

export interface VerifiedEvidence {
  statement: StatementClaims;
  investigator: { kid: string; unit: string };
  approvals: VerifiedApproval[];
}

export interface VerifyEvidenceOptions {
  /** The pinned directory authority key. */
  authorityJwk: JWK;
  /** Key ids on the authority's current revocation list. */
  revoked: ReadonlySet<string>;
}

/**
 * Verifies a certificate and the JWS it is for: the authority signed the certificate, its key id
 * is the JWS's, it is not revoked, it was valid when the JWS says it was signed, and holds `role`.
 */
async function certifiedSigner(certificate: string, signed: string, role: SignerRole | undefined, opts: VerifyEvidenceOptions, what: string) {
  let cert: SignerCertificateClaims;
  try {
    cert = await verifySignerCertificate(certificate, opts.authorityJwk);
  } catch (error) {
    if (error instanceof SignerCertificateError) throw new EvidenceError('signer_not_certified', `${what}: ${error.message}`);
    throw error;
  }
  if (signedKeyId(signed) !== cert.kid) throw new EvidenceError('signer_not_certified', `${what} is not signed by the key its certificate names`);
  if (opts.revoked.has(cert.kid)) throw new EvidenceError('signer_revoked', `${what}: key ${cert.kid} is revoked`);
  if (role && !cert.roles.includes(role)) throw new EvidenceError('signer_wrong_role', `${what}: key ${cert.kid} is not certified as ${role}`);
  return cert;
}

function validWhenSigned(cert: SignerCertificateClaims, iat: number, what: string): void {
  if (!certificateValidAt(cert, iat)) throw new EvidenceError('signer_certificate_expired', `${what}: key ${cert.kid} was not certified at ${iat}`);
}

export async function verifyEvidence(scope: EvidenceScope, evidence: WarrantEvidence | undefined, opts: VerifyEvidenceOptions): Promise<VerifiedEvidence> {
  if (!evidence) throw new EvidenceError('evidence_missing', 'the warrant carries no signed statement and approvals');
  const investigator = await certifiedSigner(evidence.statement_certificate, evidence.statement, 'investigator', opts, 'the statement');
  let statement: StatementClaims;
  try {
    statement = await verifyStatement(evidence.statement, investigator);
  } catch (error) {
    if (error instanceof StatementError) throw new EvidenceError('statement_invalid', error.message);
    throw error;
  }
  validWhenSigned(investigator, statement.iat, 'the statement');
  // The investigator's own unit, or — entrusted mode — the regional centre on a unit's behalf.
  if (investigator.unit !== statement.unit && investigator.unit !== regionOf(statement.unit)) {
    throw new EvidenceError('signer_wrong_unit', `the statement's signer is certified for unit ${investigator.unit}, which may not ask for unit ${statement.unit}`);
  }
  await checkWithinStatement(scope, statement, evidence.disclosures);

  const digest = statementDigest(evidence.statement);
  const approvals: VerifiedApproval[] = [];
  for (const [i, approval] of evidence.approvals.entries()) {
    const what = `approval ${i + 1}`;
    const cert = await certifiedSigner(approval.certificate, approval.decision, undefined, opts, what);
    let decision: DecisionClaims;
    try {
      decision = await verifyDecision(approval.decision, cert);
    } catch (error) {
      if (error instanceof DecisionError) throw new EvidenceError('decision_invalid', `${what}: ${error.message}`);
      throw error;
    }
    if (decision.statement_sha256 !== digest || decision.inquiry_id !== statement.inquiry_id) {
      throw new EvidenceError('decision_other_inquiry', `${what} is a decision on another statement`);
    }
    if (decision.decision !== 'approve' || decision.step === null) throw new EvidenceError('decision_invalid', `${what} is not an approval`);
    if (!cert.roles.includes(decision.role)) throw new EvidenceError('signer_wrong_role', `${what}: key ${cert.kid} is not certified as ${decision.role}`);
    validWhenSigned(cert, decision.iat, what);
    if (decision.iat < statement.iat) throw new EvidenceError('decision_invalid', `${what} is dated before the statement`);
    if (cert.unit !== leagueOf(statement.unit) && cert.unit !== regionOf(statement.unit)) {
      throw new EvidenceError('signer_wrong_unit', `${what}: key ${cert.kid} is certified for unit ${cert.unit}, not the inquiry's league or region`);
    }
    if (cert.kid === investigator.kid) throw new EvidenceError('approver_is_submitter', `${what} is signed by the statement's own signer`);
    if (approvals.some((a) => a.kid === cert.kid)) throw new EvidenceError('approver_counted_twice', `${what}: key ${cert.kid} approved more than once`);
    approvals.push({ kid: cert.kid, unit: cert.unit, role: decision.role, step: decision.step, decidedAt: decision.iat });
  }
  return { statement, investigator: { kid: investigator.kid, unit: investigator.unit }, approvals };
}

/** The warrant asks for nothing the statement does not: inquiry, legal basis, recipient, categories, subjects. */
async function checkWithinStatement(scope: EvidenceScope, statement: StatementClaims, disclosures: readonly Disclosure[]): Promise<void> {
  const outside = (why: string) => new EvidenceError('warrant_outside_statement', why);
  if (scope.inquiry_id !== statement.inquiry_id) throw outside('the warrant is for another inquiry than the statement');
  if (scope.legal_basis !== statement.legal_basis) throw outside('the legal basis differs from the signed one');
  if (scope.recipient.unit !== statement.recipient.unit) throw outside('the recipient unit differs from the signed one');
  if ((await recipientKeyThumbprint(scope.recipient.key)) !== statement.recipient.key_thumbprint) throw outside('the recipient key is not the signed one');
  const signed = new Set(statement.disclosures);
  const byCategory = new Map<string, Disclosure>();
  for (const d of disclosures) {
    if (!signed.has(disclosureDigest(d))) throw outside(`the disclosure of ${d.category} is not in the signed statement`);
    byCategory.set(d.category, d);
  }
  for (const category of scope.categories) {
    const d = byCategory.get(category);
    if (!d) throw outside(`category ${category} is not in the signed statement`);
    const asked = new Set(d.subjects.map((s) => `${s.kind}:${s.id}`));
    // Never the subject itself in the message: refusals are logged.
    const extra = scope.subjects.filter((s) => !asked.has(`${s.kind}:${s.id}`)).length;
    if (extra > 0) throw outside(`${extra} subject(s) are not signed for category ${category}`);
  }
}
