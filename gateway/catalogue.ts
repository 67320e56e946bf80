import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DEPARTMENT_NAME } from '../proto/identity';
import { jsonLineIndex, lineOf, lineOfParseError } from './policy/json-lines';

/**
 * The category catalogue (policies/categories.json): which department serves each data
 * category, the fields it may return, and how sensitive it is. Operators edit the file; the
 * gateway refuses to start on a file it cannot trust, naming the file and the problem.
 */

export const SENSITIVITIES = ['standard', 'sensitive', 'highly_sensitive'] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];

const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;

export const CategoryEntry = z.strictObject({
  department: z.string().regex(DEPARTMENT_NAME, 'must be a lowercase snake_case department name'),
  description: z.string().min(1).optional(),
  fields: z
    .array(z.string().regex(IDENTIFIER, 'must be a lowercase snake_case field name'))
    .min(1, 'must list at least one field')
    .refine((f) => new Set(f).size === f.length, 'must not list a field twice'),
  sensitivity: z.enum(SENSITIVITIES),
});
export type CategoryEntry = z.infer<typeof CategoryEntry>;

export const CatalogueFile = z.strictObject({
  $comment: z.string().optional(),
  categories: z
    .record(z.string().regex(IDENTIFIER, 'category names must be lowercase snake_case'), CategoryEntry)
    .refine((c) => Object.keys(c).length > 0, 'must define at least one category'),
});
export type CatalogueFile = z.infer<typeof CatalogueFile>;

export interface Catalogue {
  /** Where it was read from, for messages. */
  source: string;
  categories: Readonly<Record<string, CategoryEntry>>;
}

export class CatalogueError extends Error {
  override readonly name = 'CatalogueError';
}

/** `text`, when given, is the file's text: each problem then names its line (`file:12: path: problem`). */
export function parseCatalogue(json: unknown, source: string, text?: string): Catalogue {
  const parsed = CatalogueFile.safeParse(json);
  if (!parsed.success) {
    const index = text === undefined ? undefined : jsonLineIndex(text);
    const problems = parsed.error.issues.map((i) => {
      const where = index ? `${source}:${lineOf(index, i.path as (string | number)[])}` : source;
      return `${where}: ${i.path.map(String).join('.') || '(top level)'}: ${i.message}`;
    });
    throw new CatalogueError(problems.join('\n'));
  }
  return { source, categories: parsed.data.categories };
}

export async function loadCatalogue(file: string): Promise<Catalogue> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CatalogueError(`${file}: cannot read the category catalogue (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const line = lineOfParseError(text, err as Error);
    throw new CatalogueError(`${file}${line ? `:${line}` : ''}: not valid JSON (${(err as Error).message})`);
  }
  return parseCatalogue(json, file, text);
}

/** The categories the catalogue does not know, with their positions in `categories`. */
export function unknownCategories(catalogue: Catalogue, categories: readonly string[]): { index: number; name: string }[] {
  return categories.flatMap((name, index) => (Object.hasOwn(catalogue.categories, name) ? [] : [{ index, name }]));
}

/**
 * Which department serves which of the given categories, departments in name order so that
 * parts are created in a stable order. Every category must be known.
 */
export function departmentsFor(catalogue: Catalogue, categories: readonly string[]): Map<string, string[]> {
  const byDepartment = new Map<string, string[]>();
  for (const category of categories) {
    const entry = Object.hasOwn(catalogue.categories, category) ? catalogue.categories[category] : undefined;
    if (!entry) throw new CatalogueError(`${catalogue.source}: unknown category ${JSON.stringify(category)}`);
    byDepartment.set(entry.department, [...(byDepartment.get(entry.department) ?? []), category]);
  }
  return new Map([...byDepartment].sort(([a], [b]) => a.localeCompare(b)));
}
