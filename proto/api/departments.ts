import { z } from 'zod';
import { DEPARTMENT_HEALTH } from './catalogue';
import { BEARER, defineEndpoint, jsonAnswer } from './endpoint';
import { BEARER_ERRORS, errorAnswers } from './errors';

/**
 * GET /v1/departments: each department as the gateway sees it — whether its adapter answers now,
 * what it says it is and serves, and how this gateway replica's calls to it went. For operators:
 * auditors and administrators see every department, a department's operator its own.
 */

export const DepartmentCallFailure = z.object({
  at: z.iso.datetime(),
  outcome: z.enum(['refused', 'transport_error', 'error']),
  /** The failure in words, as the part stores it (a department's own text redacted). */
  reason: z.string(),
});

export const DepartmentView = z.object({
  name: z.string(),
  /** As the adapter describes itself; null when it did not answer. */
  displayName: z.string().nullable(),
  /** The adapter's software version (Describe); null when it did not answer or does not say. */
  version: z.string().nullable(),
  health: z.enum(DEPARTMENT_HEALTH),
  checkedAt: z.iso.datetime(),
  /** The categories the adapter says it serves (Describe); null when it did not answer. */
  servedCategories: z.array(z.string()).nullable(),
  /** The categories the catalogue sends to it (policies/categories.json). */
  catalogueCategories: z.array(z.string()),
  /** Whether the gateway knows an adapter for it (QIAO_DEPARTMENTS). */
  configured: z.boolean(),
  /** This replica's calls since it started: the last answered one, the last failed one, refusals by code. */
  lastSuccessAt: z.iso.datetime().nullable(),
  lastFailure: DepartmentCallFailure.nullable(),
  refusals: z.record(z.string(), z.number().int().nonnegative()),
  calls: z.number().int().nonnegative(),
});
export type DepartmentView = z.infer<typeof DepartmentView>;

export const DepartmentsView = z
  .object({
    departments: z.array(DepartmentView),
    /** When this replica started counting (its start): calls before, or on other replicas, are not in it. */
    observedSince: z.iso.datetime(),
  })
  .meta({ id: 'Departments', description: 'Each department as this gateway replica sees it: health, version, served categories, last success and failure, refusals.' });
export type DepartmentsView = z.infer<typeof DepartmentsView>;

export const departmentEndpoints = {
  listDepartments: defineEndpoint({
    method: 'get',
    path: '/v1/departments',
    operationId: 'listDepartments',
    summary: 'The departments as the gateway sees them: health, version, served categories, last success and failure, refusal counts',
    tags: ['operations'],
    security: BEARER,
    responses: {
      200: jsonAnswer('the departments the caller may see (all for auditors and administrators; its own for a department operator)', DepartmentsView),
      ...errorAnswers(...BEARER_ERRORS, 403, 429),
    },
  }),
};
