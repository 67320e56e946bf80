import { z } from 'zod';

/**
 * Text a person typed: every free-text field of every request goes through `plainText`, so a
 * control character is refused once, here, naming the field, whatever route it came in by.
 * Tab and newline are text; NUL and the other C0/C1 controls are not (PostgreSQL cannot even
 * store NUL in a text column, and the rest only serve to hide or spoof what a reader sees).
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

/** Why `text` is not plain text (its first control character and where), or null. */
export function controlCharacterProblem(text: string): string | null {
  const found = CONTROL.exec(text);
  if (!found) return null;
  const code = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return `contains the control character U+${code} at position ${found.index}: only tab and newline are allowed`;
}

/** A string without control characters other than tab and newline. */
export function plainString() {
  return z.string().superRefine((value, ctx) => {
    const problem = controlCharacterProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** Required free text, trimmed, of at most `max` characters, without control characters. */
export function plainText(max: number) {
  return z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .superRefine((value, ctx) => {
      const problem = controlCharacterProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
}
