import type { JWK } from 'jose';
import type { InquiryView } from '../../proto/api/inquiries';
import { EvidenceError as ApprovalEvidenceError, verifyEvidence as verifyWarrantEvidence, type VerifiedEvidence } from '../../proto/approval-evidence';
import { EvidenceError } from '../../proto/evidence';
import { caseCommitment, verifyStatement } from '../../proto/inquiry-statement';
import { KeyCertificateError, verifyKeyCertificate } from '../../proto/key-certificate';
import { RevocationListError, verifyRevocationList, type RevocationListClaims } from '../../proto/revocation-list';
import { verifySignerCertificate } from '../../proto/signer-certificate';
import type { WarrantClaims } from '../../proto/warrant';
import { verifyInquirySignatures } from './signing';

/**
 * The signature checks of an evidence package (docs/formats.md, "Evidence package", checks
 * `revocations`, `signatures`, `unit-key`): the investigator's statement and every approver's
 * decision as `inquiry.json` shows them, each against the pinned directory authority key; each
 * warrant's evidence checked as a department checks it (proto/approval-evidence.ts); and that the
 * warrants carry exactly the statement and the approvals `inquiry.json` shows, no more, no fewer.
 */

export async function checkRevocations(jws: string | undefined, authorityJwk: JWK): Promise<RevocationListClaims> {
  if (jws === undefined) throw new EvidenceError('revocations', 'the package has no directory/revocations.jws (the directory authority’s revocation list as of the export)');
  try {
    // As of the export, not now: how fresh it was then is in its iat, which the report shows.
    return await verifyRevocationList(jws.trim(), { authorityJwk });
  } catch (error) {
    if (error instanceof RevocationListError) throw new EvidenceError('revocations', `directory/revocations.jws: ${error.message}`);
    throw error;
  }
}

export interface SignatureReport {
  /** Key ids: the statement's signer, then each approver's. */
  investigator: string;
  approvers: string[];
}

export interface CheckedSignatures {
  report: SignatureReport;
  /** Each warrant's evidence as checked (by `jti`): who approved it, certified in which role and unit. */
  evidence: Map<string, VerifiedEvidence>;
}

export async function checkSignatures(
  inquiry: InquiryView,
  warrants: readonly WarrantClaims[],
  opts: { authorityJwk: JWK; revocations: RevocationListClaims },
): Promise<CheckedSignatures> {
  const fail = (message: string) => new EvidenceError('signatures', message);
  const checked = new Map<string, VerifiedEvidence>();
  const signed = inquiry.signed;
  if (!signed) throw fail(`inquiry.json carries no signed statement: inquiry ${inquiry.id} was submitted unsigned, nothing shows who asked`);
  const revoked = new Set(opts.revocations.revoked.map((r) => r.kid));

  // As inquiry.json shows them: every signature verifies, over this statement, with the comment and decision shown.
  const shown = await verifyInquirySignatures(inquiry, opts.authorityJwk);
  if (!shown.statement?.ok) throw fail(`the statement of inquiry.json: ${shown.statement?.problem ?? 'missing'}`);
  const statementCert = await verifySignerCertificate(signed.certificate, opts.authorityJwk);
  const statement = await verifyStatement(signed.statement, statementCert);
  if (statement.unit !== inquiry.unitId) throw fail(`the statement is for unit ${statement.unit}, inquiry.json for ${inquiry.unitId}`);
  if (statement.legal_basis !== inquiry.legalBasis) throw fail('the statement signs another legal basis than inquiry.json shows');
  if ((statement.parent_id ?? null) !== inquiry.parentId) throw fail(`inquiry.json says it follows from ${inquiry.parentId ?? 'no inquiry'}, the statement signs ${statement.parent_id ?? 'none'}`);
  if (signed.caseSalt !== undefined && statement.case_commitment !== caseCommitment(inquiry.caseReference, signed.caseSalt)) {
    throw fail('the case reference of inquiry.json is not the one the statement commits to');
  }
  for (const [n, d] of shown.decisions.entries()) {
    const who = `decision ${n + 1} (${inquiry.decisions[n]!.username}, ${inquiry.decisions[n]!.decision})`;
    if (d === null) throw fail(`${who} of inquiry.json is not signed`);
    if (!d.ok) throw fail(`${who} of inquiry.json: ${d.problem}`);
    if (revoked.has(d.kid)) throw fail(`${who} of inquiry.json: key ${d.kid} is on the directory’s revocation list`);
  }
  const approvals = inquiry.decisions.filter((d) => d.decision === 'approve').map((d) => ({ decision: d.signed!.decision, certificate: d.signed!.certificate }));
  const verify = async (claims: WarrantClaims, approvalsOf: typeof approvals, what: string) => {
    try {
      return await verifyWarrantEvidence({ ...claims, categories: Object.keys(claims.categories) }, { ...claims.evidence!, approvals: approvalsOf }, { authorityJwk: opts.authorityJwk, revoked });
    } catch (error) {
      if (error instanceof ApprovalEvidenceError) throw fail(`${what}: ${error.code}: ${error.message}`);
      throw error;
    }
  };
  const same = (x: { decision: string; certificate: string }, y: { decision: string; certificate: string }) => x.decision === y.decision && x.certificate === y.certificate;
  for (const [n, claims] of warrants.entries()) {
    const what = `warrant ${claims.jti} to ${claims.aud}`;
    if (!claims.evidence) throw fail(`${what} carries no signed statement and approvals`);
    // The approvals as inquiry.json shows them, held to the rule a department applies (certificate, role, unit, validity when signed, revocation)…
    if (n === 0) await verify(claims, approvals, 'the approvals of inquiry.json');
    // …and as each department received them.
    checked.set(claims.jti, await verify(claims, claims.evidence.approvals, what));
    if (claims.evidence.statement !== signed.statement || claims.evidence.statement_certificate !== signed.certificate) {
      throw fail(`${what} carries another signed statement than inquiry.json`);
    }
    const carried = claims.evidence.approvals;
    const missing = approvals.filter((a) => !carried.some((c) => same(a, c))).length;
    const extra = carried.filter((c) => !approvals.some((a) => same(a, c))).length;
    if (missing || extra) throw fail(`${what} carries ${carried.length} signed approvals, inquiry.json shows ${approvals.length} (${missing} of inquiry.json not in the warrant, ${extra} of the warrant not in inquiry.json)`);
  }
  return { report: { investigator: shown.statement.kid, approvers: shown.decisions.map((d) => (d && d.ok ? d.kid : '')) }, evidence: checked };
}

/** The unit key the results were encrypted to is the one the directory authority certified for the inquiry's unit when the warrant was issued. */
export async function checkUnitKey(inquiry: InquiryView, warrants: readonly WarrantClaims[], authorityJwk: JWK): Promise<void> {
  for (const claims of warrants) {
    const what = `warrant ${claims.jti} to ${claims.aud}`;
    if (!claims.recipient.key_certificate) throw new EvidenceError('unit-key', `${what} carries no certificate of the unit key it encrypts to`);
    try {
      await verifyKeyCertificate(claims.recipient.key_certificate, { unit: inquiry.unitId, key: claims.recipient.key, authorityJwk, now: new Date(claims.iat * 1000) });
    } catch (error) {
      if (error instanceof KeyCertificateError) throw new EvidenceError('unit-key', `${what}: ${error.message}`);
      throw error;
    }
  }
}
