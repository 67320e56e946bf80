import { z } from 'zod';
import { BEARER, defineEndpoint, jsonAnswer } from './endpoint';
import { BEARER_ERRORS, errorAnswers } from './errors';

/**
 * GET /v1/catalogue (数据资源): which department holds which categories and fields, how
 * sensitive each is and the approvals an inquiry about it needs, and whether each department's
 * adapter answers now — so an investigator knows what can be asked before asking.
 */

export const CatalogueStep = z.object({
  role: z.string(),
  at: z.enum(['league', 'region']),
  count: z.number().int().positive(),
});

export const CatalogueCategory = z.object({
  name: z.string(),
  department: z.string(),
  description: z.string().nullable(),
  fields: z.array(z.string()),
  sensitivity: z.enum(['standard', 'sensitive', 'highly_sensitive']),
  /** The approvals an inquiry about this category alone needs (policies/approvals.json). */
  approvalChain: z.array(CatalogueStep),
});
export type CatalogueCategory = z.infer<typeof CatalogueCategory>;

export const DEPARTMENT_HEALTH = ['serving', 'unreachable', 'not_configured'] as const;

export const CatalogueDepartment = z.object({
  name: z.string(),
  /** As the adapter describes itself; null when it did not answer. */
  displayName: z.string().nullable(),
  categories: z.array(z.string()),
  /** serving: the adapter answered Describe just now; unreachable: it did not; not_configured: the gateway knows no adapter for it. */
  health: z.enum(DEPARTMENT_HEALTH),
  checkedAt: z.iso.datetime(),
});
export type CatalogueDepartment = z.infer<typeof CatalogueDepartment>;

export const CatalogueView = z
  .object({ categories: z.array(CatalogueCategory), departments: z.array(CatalogueDepartment) })
  .meta({ id: 'Catalogue', description: 'The data categories with their departments, fields, sensitivity and approval chains, and each department’s health.' });
export type CatalogueView = z.infer<typeof CatalogueView>;

export const catalogueEndpoints = {
  readCatalogue: defineEndpoint({
    method: 'get',
    path: '/v1/catalogue',
    operationId: 'readCatalogue',
    summary: 'What can be asked: categories, fields, sensitivity, approval chains, department health',
    tags: ['directory'],
    security: BEARER,
    responses: {
      200: jsonAnswer('the catalogue, readable by every signed-in user unless a policy says otherwise (Cedar action read_catalogue)', CatalogueView),
      ...errorAnswers(...BEARER_ERRORS, 403, 429),
    },
  }),
};
