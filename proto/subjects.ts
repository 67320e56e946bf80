import { z } from 'zod';
import { plainString } from './text';

/**
 * Subjects of an inquiry: persons by 18-character resident ID number (GB 11643-1999),
 * organisations by 18-character unified social credit code (GB 32100-2015).
 * Both carry a check character; a wrong one is almost always a typo, so it is refused early.
 */

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** The check character of the first 17 digits of a resident ID number. */
export function residentIdCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i]!;
  return ID_CHECK[sum % 11]!;
}

/** Birth dates before this are refused: nobody living was born then, so it is a typo. */
export const EARLIEST_BIRTH_DATE = '19000101';

/** Days in a month of the proleptic Gregorian calendar (the calendar of the ID's birth date). */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Why a resident ID number is invalid, or null if it is valid; `today` bounds the birth date. */
export function residentIdProblem(id: string, today: Date = new Date()): string | null {
  if (!/^\d{17}[\dX]$/.test(id)) return 'must be 17 digits followed by a digit or X (18 characters)';
  const birth = id.slice(6, 14);
  const [year, month, day] = [Number(birth.slice(0, 4)), Number(birth.slice(4, 6)), Number(birth.slice(6, 8))];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return `has an impossible birth date ${birth}`;
  if (birth < EARLIEST_BIRTH_DATE) return `has a birth date ${birth} before 1900: a digit is probably mistyped`;
  // Today's date in UTC, as eight digits like the birth date's.
  const todayDigits = String(today.getUTCFullYear() * 10000 + (today.getUTCMonth() + 1) * 100 + today.getUTCDate()).padStart(8, '0');
  if (birth > todayDigits) return `has a birth date ${birth} in the future: a digit is probably mistyped`;
  const expected = residentIdCheckChar(id.slice(0, 17));
  if (id[17] !== expected) return `has check character ${id[17]}, expected ${expected}: a digit is probably mistyped`;
  return null;
}

const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The check character of the first 17 characters of a unified social credit code. */
export function creditCodeCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_CHARS.indexOf(first17[i]!) * USCC_WEIGHTS[i]!;
  return USCC_CHARS[(31 - (sum % 31)) % 31]!;
}

/** Why a unified social credit code is invalid, or null if it is valid. */
export function creditCodeProblem(code: string): string | null {
  if (!/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(code)) {
    return 'must be 18 characters: digits and capital letters other than I, O, S, V, Z, with digits in positions 3–8';
  }
  const expected = creditCodeCheckChar(code.slice(0, 17));
  if (code[17] !== expected) return `has check character ${code[17]}, expected ${expected}: a character is probably mistyped`;
  return null;
}

export const PersonSubject = z.object({
  kind: z.literal('person'),
  id: z.string().superRefine((id, ctx) => {
    const problem = residentIdProblem(id);
    if (problem) ctx.addIssue({ code: 'custom', message: `resident ID number ${id} ${problem}` });
  }),
  name: plainString().min(1).max(100).optional(),
});
export type PersonSubject = z.infer<typeof PersonSubject>;

export const OrganisationSubject = z.object({
  kind: z.literal('organisation'),
  id: z.string().superRefine((code, ctx) => {
    const problem = creditCodeProblem(code);
    if (problem) ctx.addIssue({ code: 'custom', message: `unified social credit code ${code} ${problem}` });
  }),
  name: plainString().min(1).max(200).optional(),
});
export type OrganisationSubject = z.infer<typeof OrganisationSubject>;

export const Subject = z.discriminatedUnion('kind', [PersonSubject, OrganisationSubject]);
export type Subject = z.infer<typeof Subject>;
