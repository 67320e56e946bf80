import { z } from 'zod';
import { Subject } from '../../../proto/subjects';
import { INQUIRY_STATES } from '../../db/schema';

export const MAX_SUBJECTS = 50;
export const MAX_CATEGORIES = 20;

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

export const SubmitInquiry = z.strictObject({
  caseReference: text(100),
  legalBasis: text(500),
  purpose: text(2000),
  subjects: z
    .array(Subject)
    .min(1, 'must name at least one subject')
    .max(MAX_SUBJECTS, `must name at most ${MAX_SUBJECTS} subjects`)
    .superRefine((subjects, ctx) => {
      const seen = new Map<string, number>();
      subjects.forEach((s, i) => {
        const key = `${s.kind}:${s.id}`;
        const first = seen.get(key);
        if (first === undefined) seen.set(key, i);
        else ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `repeats subjects[${first}]` });
      });
    }),
  categories: z
    .array(z.string().min(1).max(64))
    .min(1, 'must name at least one category')
    .max(MAX_CATEGORIES, `must name at most ${MAX_CATEGORIES} categories`)
    .superRefine((categories, ctx) => {
      categories.forEach((c, i) => {
        const first = categories.indexOf(c);
        if (first !== i) ctx.addIssue({ code: 'custom', path: [i], message: `repeats categories[${first}]` });
      });
    }),
  /** Entrusted mode: the unit (GB/T 2260 code) the inquiry is run for; default the submitter's own. */
  onBehalfOf: z.string().regex(/^\d{6}$/, 'must be a 6-digit unit code').optional(),
});
export type SubmitInquiry = z.infer<typeof SubmitInquiry>;

export const DecideInquiry = z.strictObject({
  comment: text(2000),
});
export type DecideInquiry = z.infer<typeof DecideInquiry>;

export const WithdrawInquiry = z.strictObject({
  reason: text(2000).optional(),
});
export type WithdrawInquiry = z.infer<typeof WithdrawInquiry>;

export const ListInquiries = z.strictObject({
  state: z.enum(INQUIRY_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListInquiries = z.infer<typeof ListInquiries>;
