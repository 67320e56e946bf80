import type { JWK } from 'jose';
import { commentDigest, DecisionError, verifyDecision, type DecisionClaims } from '../../../proto/decision';
import {
  caseCommitment,
  disclosureDigest,
  recipientKeyThumbprint,
  signedKeyId,
  statementDigest,
  StatementError,
  verifyStatement,
  type StatementClaims,
} from '../../../proto/inquiry-statement';
import type { SignedDecision, SignedStatement, SubmitInquiry } from '../../../proto/api/inquiries';
import {
  certificateValidAt,
  SignerCertificateError,
  verifySignerCertificate,
  type SignerCertificateClaims,
  type SignerRole,
} from '../../../proto/signer-certificate';
import type { StoredStatement } from '../../db/schema';
import { RevocationListError } from '../../../proto/revocation-list';
import { ServiceError } from '../../errors';
import type { RequestContext } from '../context';

/** How far a signature's own time may be from the gateway's clock. */
const CLOCK_SKEW_SEC = 600;

/** A signature by a key the directory has revoked: refused 403, and the attempt is audited by the caller (submit, decide). */
export class RevokedSigner extends ServiceError {
  constructor(readonly kid: string) {
    super('permission_denied', `signing key ${kid} is on the directory's revocation list; it counts for nothing: ask the directory for a new key and certificate`);
  }
}

/** The same signed list the departments fetch, fail-closed: without a fresh one nothing signed is accepted. */
async function notRevoked(ctx: RequestContext, kid: string): Promise<void> {
  const source = ctx.signatures.revocations;
  if (!source) return;
  let revoked: ReadonlySet<string>;
  try {
    revoked = await source.revoked();
  } catch (error) {
    if (error instanceof RevocationListError) throw new ServiceError('unavailable', `cannot check signing keys against the directory's revocation list: ${error.message}; try again once the gateway can read a fresh list`);
    throw error;
  }
  if (revoked.has(kid)) throw new RevokedSigner(kid);
}

const refuse = (path: string, message: string) =>
  new ServiceError('invalid_argument', `${path}: ${message}`, { details: [{ path, message }] });

function authority(ctx: RequestContext): JWK {
  const key = ctx.signatures.authorityJwk;
  if (!key) throw new ServiceError('failed_precondition', 'this gateway has no directory authority key (directory/authority.pub.jwk in its PKI folder), so it cannot check signatures');
  return key;
}

/** The certificate is the authority's, names the JWS's key, is valid now, and certifies the caller's unit (and `role`, if given). */
async function callerCertificate(ctx: RequestContext, path: string, certificate: string, jws: string, role: SignerRole | undefined): Promise<SignerCertificateClaims> {
  let cert: SignerCertificateClaims;
  try {
    cert = await verifySignerCertificate(certificate, authority(ctx));
  } catch (error) {
    if (error instanceof SignerCertificateError) throw refuse(`${path}.certificate`, `${error.message}; use the certificate the directory issued for your signing key`);
    throw error;
  }
  if (signedKeyId(jws) !== cert.kid) throw refuse(`${path}.certificate`, `certifies key ${cert.kid}, but the signature names another key`);
  await notRevoked(ctx, cert.kid);
  const now = Math.floor(ctx.clock().getTime() / 1000);
  if (!certificateValidAt(cert, now)) throw refuse(`${path}.certificate`, `key ${cert.kid} is not certified now (valid ${cert.nbf}–${cert.exp}); ask the directory for a new certificate`);
  if (cert.unit !== ctx.principal.unitId) throw refuse(`${path}.certificate`, `key ${cert.kid} is certified for unit ${cert.unit}, not yours (${ctx.principal.unitId})`);
  if (role && !cert.roles.includes(role)) throw refuse(`${path}.certificate`, `key ${cert.kid} is not certified as ${role}`);
  return cert;
}

function timely(ctx: RequestContext, path: string, iat: number): void {
  const now = Math.floor(ctx.clock().getTime() / 1000);
  if (Math.abs(now - iat) > CLOCK_SKEW_SEC) throw refuse(`${path}.iat`, `signed at ${iat}, more than ${CLOCK_SKEW_SEC} s from the gateway's clock (${now}); check the clock and sign again`);
}

/**
 * At submission: the statement is signed by a key certified as investigator for the caller's
 * unit, and says exactly what the request asks — same unit, legal basis, case, recipient key and
 * one disclosure per category naming exactly the subjects.
 */
export async function verifySubmission(
  ctx: RequestContext,
  body: SubmitInquiry,
  unit: { id: string; encryptionKey: JWK | null },
): Promise<{ claims: StatementClaims; stored: StoredStatement } | null> {
  const signed: SignedStatement | undefined = body.signed;
  if (!signed) {
    if (ctx.signatures.required) throw refuse('signed', 'an inquiry must carry the statement signed with your own key (qiao submit signs it with your key file)');
    return null;
  }
  const cert = await callerCertificate(ctx, 'signed', signed.certificate, signed.statement, 'investigator');
  let claims: StatementClaims;
  try {
    claims = await verifyStatement(signed.statement, cert);
  } catch (error) {
    if (error instanceof StatementError) throw refuse('signed.statement', error.message);
    throw error;
  }
  timely(ctx, 'signed.statement', claims.iat);
  const differs = (what: string) => refuse('signed.statement', `${what} differs from the request's`);
  if (claims.unit !== unit.id) throw differs('unit');
  if (claims.legal_basis !== body.legalBasis) throw differs('legal_basis');
  if (claims.case_commitment !== caseCommitment(body.caseReference, signed.caseSalt)) throw differs('case_commitment');
  // A follow-up's link to its parent is the investigator's word, not the gateway's: signed, or refused.
  if ((claims.parent_id ?? null) !== (body.parentId ?? null)) throw differs('parent_id');
  if (claims.recipient.unit !== unit.id) throw differs('recipient.unit');
  if (!unit.encryptionKey) throw new ServiceError('failed_precondition', `unit ${unit.id} has no encryption key in the directory`);
  if (claims.recipient.key_thumbprint !== (await recipientKeyThumbprint(unit.encryptionKey))) {
    throw refuse('signed.statement', "recipient.key_thumbprint is not the unit's certified encryption key");
  }
  const asked = body.subjects.map((s) => `${s.kind}:${s.id}`).join();
  const categories = signed.disclosures.map((d) => d.category);
  if (categories.length !== body.categories.length || !body.categories.every((c) => categories.includes(c))) {
    throw refuse('signed.disclosures', 'must be one per category of the request');
  }
  for (const [i, d] of signed.disclosures.entries()) {
    if (d.subjects.map((s) => `${s.kind}:${s.id}`).join() !== asked) throw refuse(`signed.disclosures[${i}].subjects`, "must be the request's subjects, in order");
  }
  const digests = signed.disclosures.map(disclosureDigest).sort();
  if (digests.join() !== claims.disclosures.join()) throw refuse('signed.disclosures', 'their digests are not the statement’s');
  return {
    claims,
    stored: { statement: signed.statement, certificate: signed.certificate, kid: cert.kid, caseSalt: signed.caseSalt, disclosures: signed.disclosures },
  };
}

/**
 * At a decision: signed by a key certified for the caller's unit in the role of the step it
 * fills, over this inquiry's statement, with this decision, step and comment.
 */
export async function verifyDecisionSignature(
  ctx: RequestContext,
  input: { inquiryId: string; statement: StoredStatement | null; decision: 'approve' | 'reject'; step: { index: number; role: SignerRole } | null; comment: string; signed: SignedDecision | undefined },
): Promise<{ claims: DecisionClaims; kid: string } | null> {
  const { signed } = input;
  if (!signed) {
    if (input.statement || ctx.signatures.required) throw refuse('signed', 'a decision on a signed inquiry must be signed with your own key (qiao approve / reject sign with your key file)');
    return null;
  }
  if (!input.statement) throw refuse('signed', 'the inquiry carries no signed statement to decide on');
  // A rejection fills no step: any certified approving role may sign it (checked below).
  const cert = await callerCertificate(ctx, 'signed', signed.certificate, signed.decision, input.step?.role);
  let claims: DecisionClaims;
  try {
    claims = await verifyDecision(signed.decision, cert);
  } catch (error) {
    if (error instanceof DecisionError) throw refuse('signed.decision', error.message);
    throw error;
  }
  timely(ctx, 'signed.decision', claims.iat);
  const wrong = (what: string, expected: unknown) => refuse('signed.decision', `${what} must be ${JSON.stringify(expected)}`);
  if (claims.inquiry_id !== input.inquiryId) throw wrong('inquiry_id', input.inquiryId);
  if (claims.statement_sha256 !== statementDigest(input.statement.statement)) throw wrong('statement_sha256', statementDigest(input.statement.statement));
  if (claims.decision !== input.decision) throw wrong('decision', input.decision);
  if (claims.step !== (input.step?.index ?? null)) throw wrong('step', input.step?.index ?? null);
  if (input.step && claims.role !== input.step.role) throw wrong('role', input.step.role);
  if (!cert.roles.includes(claims.role)) throw refuse('signed.certificate', `key ${cert.kid} is not certified as ${claims.role}`);
  if (claims.comment_sha256 !== commentDigest(input.comment)) throw refuse('signed.decision', 'comment_sha256 is not the digest of the comment sent');
  return { claims, kid: cert.kid };
}
