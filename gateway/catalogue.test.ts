import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { departmentsFor, loadCatalogue, parseCatalogue, unknownCategories } from './catalogue';

const REPO_CATALOGUE = fileURLToPath(new URL('../policies/categories.json', import.meta.url));

describe('loadCatalogue', () => {
  it('reads the repository catalogue', async () => {
    const catalogue = await loadCatalogue(REPO_CATALOGUE);
    expect(catalogue.categories.household?.department).toBe('public_security');
    expect(catalogue.categories.grassland_contracts?.fields).toContain('area_mu');
  });

  it('names the file and the problem', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qiao-catalogue-'));
    const bad = join(dir, 'categories.json');
    await writeFile(bad, JSON.stringify({ categories: { household: { department: 'Public Security', fields: [], sensitivity: 'meh' } } }, null, 2));
    const err = await loadCatalogue(bad).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message.split('\n')).toEqual([
      `${bad}:4: categories.household.department: must be a lowercase snake_case department name`,
      `${bad}:5: categories.household.fields: must list at least one field`,
      expect.stringMatching(new RegExp(`^${bad}:6: categories.household.sensitivity: `)),
    ]);

    await writeFile(bad, '{"categories": ');
    await expect(loadCatalogue(bad)).rejects.toThrow(`${bad}:1: not valid JSON`);
    await expect(loadCatalogue(join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: cannot read the category catalogue \(ENOENT\)/);
  });
});

describe('departmentsFor', () => {
  const catalogue = parseCatalogue(
    {
      categories: {
        real_estate: { department: 'natural_resources', fields: ['a'], sensitivity: 'standard' },
        household: { department: 'public_security', fields: ['b'], sensitivity: 'standard' },
        household_members: { department: 'public_security', fields: ['c'], sensitivity: 'standard' },
      },
    },
    'test',
  );

  it('groups categories by department, departments in name order', () => {
    expect([...departmentsFor(catalogue, ['household', 'real_estate', 'household_members'])]).toEqual([
      ['natural_resources', ['real_estate']],
      ['public_security', ['household', 'household_members']],
    ]);
  });

  it('finds unknown categories, including names of Object.prototype', () => {
    expect(unknownCategories(catalogue, ['household', 'bank_accounts', 'constructor'])).toEqual([
      { index: 1, name: 'bank_accounts' },
      { index: 2, name: 'constructor' },
    ]);
  });
});
