import type { SubmitInquiry } from '../../../proto/api/inquiries';
import { ServiceError } from '../../errors';
import type { RequestContext } from '../context';
import { findInquiry } from './find-visible-inquiry';

/**
 * A follow-up inquiry (二次查询) names its parent: an approved inquiry of the same unit that the
 * caller may read. It carries the parent's case reference and legal basis unchanged, so the chain
 * of inquiries of a case reads as one; its subjects are the client's choice from the decrypted
 * answer, and it needs its own approvals like any inquiry. Returns the parent's id, or null.
 */
export async function checkFollowUp(ctx: RequestContext, body: SubmitInquiry, unitId: string): Promise<string | null> {
  if (body.parentId === undefined) return null;
  const invalid = (path: string, message: string) => new ServiceError('invalid_argument', `${path}: ${message}`, { details: [{ path, message }] });
  const found = await findInquiry(ctx.db, body.parentId, { now: ctx.clock(), ancestry: ctx.directory.ancestry });
  // Missing and not readable answer alike: the caller must not learn which ids exist elsewhere.
  if (!found || !ctx.policy.authorize(ctx.principal, 'inquiry.read', found.resource).allowed) {
    throw invalid('parentId', 'no inquiry with this id that you may read');
  }
  const parent = found.row;
  if (parent.unitId !== unitId) throw invalid('parentId', `the parent inquiry is for unit ${parent.unitId}; a follow-up is for the same unit`);
  if (found.resource.state !== 'approved') throw invalid('parentId', `the parent inquiry is ${found.resource.state}; only an approved inquiry's answer can be followed up`);
  if (body.caseReference !== parent.caseReference) throw invalid('caseReference', 'a follow-up carries its parent’s case reference unchanged');
  if (body.legalBasis !== parent.legalBasis) throw invalid('legalBasis', 'a follow-up carries its parent’s legal basis unchanged');
  return parent.id;
}
