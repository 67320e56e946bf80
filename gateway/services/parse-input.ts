import type { z } from 'zod';
import { formatIssuePath } from '../../proto/api/check';
import { ServiceError, type ErrorDetail } from '../errors';

const MAX_DETAILS = 20;

/**
 * A zod failure of the input, as the `invalid_argument` error the API answers: its message names
 * each offending field, e.g. "subjects[1].id: resident ID number … has check character 5, expected 4 …",
 * and `details` repeats them for programs.
 */
export function invalidInput(error: z.ZodError): ServiceError {
  const details: ErrorDetail[] = error.issues.slice(0, MAX_DETAILS).map((issue) => ({
    path: formatIssuePath(issue.path),
    message: issue.message,
  }));
  return new ServiceError('invalid_argument', details.map((d) => `${d.path}: ${d.message}`).join('; '), { details });
}
