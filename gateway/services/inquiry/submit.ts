import { unknownCategories } from '../../catalogue';
import { inquiries } from '../../db/schema';
import { ServiceError } from '../../errors';
import { authorize } from '../../policy/authorize';
import { appendAudit } from '../audit/append-audit';
import type { RequestContext } from '../context';
import { parseInput } from '../parse-input';
import { SubmitInquiry } from './schemas';
import { loadInquiryViews, type InquiryView } from './view';

/** An investigator asks for facts about subjects; the inquiry waits for approval. */
export async function submitInquiry({ ctx, input }: { ctx: RequestContext; input: unknown }): Promise<InquiryView> {
  const decision = authorize(ctx.principal, 'inquiry.submit', { kind: 'unit', unitId: ctx.principal.unitId });
  if (!decision.allowed) throw new ServiceError('permission_denied', decision.reason);
  const body = parseInput(SubmitInquiry, input);

  const unknown = unknownCategories(ctx.catalogue, body.categories);
  if (unknown.length) {
    const known = Object.keys(ctx.catalogue.categories).sort().join(', ');
    const details = unknown.map(({ index, name }) => ({
      path: `categories[${index}]`,
      message: `unknown category ${JSON.stringify(name)}; known categories: ${known}`,
    }));
    throw new ServiceError('invalid_argument', details.map((d) => `${d.path}: ${d.message}`).join('; '), { details });
  }

  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(inquiries)
      .values({
        unitId: ctx.principal.unitId,
        createdBy: ctx.principal.userId,
        caseReference: body.caseReference,
        legalBasis: body.legalBasis,
        purpose: body.purpose,
        subjects: body.subjects,
        categories: body.categories,
      })
      .returning();
    await appendAudit(tx, {
      action: 'inquiry.submitted',
      actor: { userId: ctx.principal.userId, unitId: ctx.principal.unitId },
      inquiryId: row!.id,
      requestId: ctx.requestId,
      // Counts, not subject ids: the audit log is read well beyond the investigating unit.
      details: { categories: body.categories, subjects: body.subjects.length },
    });
    const [view] = await loadInquiryViews(tx, [row!]);
    return view!;
  });
}
