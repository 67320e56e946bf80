import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { en } from '../client/console/app/locales/en';
import { pagesEn, pagesZhCN } from '../client/console/app/locales/pages';
import { zhCN } from '../client/console/app/locales/zh-CN';

/**
 * The console's translations cover the catalogue: every category, its department and every
 * field it returns has a name in zh-CN and in English (the result tables' column headers). The
 * type check already refuses a key in one locale and not the other (`en: Messages`); this test
 * ties the zh-CN keys to policies/categories.json, which operators edit.
 */
describe('console translations of the catalogue', async () => {
  const { categories } = JSON.parse(await readFile(new URL('../policies/categories.json', import.meta.url), 'utf8')) as {
    categories: Record<string, { department: string; fields: string[] }>;
  };
  const locales = { 'zh-CN': { ...zhCN, ...pagesZhCN }, en: { ...en, ...pagesEn } } as const;

  it.each(Object.keys(locales) as (keyof typeof locales)[])('%s names every category, department and field', (lang) => {
    const m = locales[lang] as unknown as { categoryNames: Record<string, string>; departments: Record<string, string>; fields: Record<string, Record<string, string>> };
    const missing: string[] = [];
    for (const [name, c] of Object.entries(categories)) {
      if (!m.categoryNames[name]) missing.push(`categoryNames.${name}`);
      if (!m.departments[c.department]) missing.push(`departments.${c.department}`);
      for (const f of c.fields) if (!m.fields[name]?.[f]) missing.push(`fields.${name}.${f}`);
    }
    expect(missing, `add these to client/console/app/locales/ (${lang})`).toEqual([]);
    // And no leftover of a category or field the catalogue no longer has.
    const extra = Object.entries(m.fields).flatMap(([name, fields]) => Object.keys(fields).filter((f) => !categories[name]?.fields.includes(f)).map((f) => `fields.${name}.${f}`));
    expect(extra).toEqual([]);
  });
});
