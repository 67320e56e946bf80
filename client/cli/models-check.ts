/**
 * `npm run models:check [-- <models-dir> [<catalogue>]]`: checks every comparison model before
 * investigators use it — its header (client/core/models.ts), that each category and field it
 * needs is in the catalogue, and that DuckDB accepts its SQL over empty tables and answers with
 * the finding columns. Prints one line per model; exit status 1 names every problem.
 */
import { readFile } from 'node:fs/promises';
import { ModelError, type Model } from '../core/models';
import { loadModels, runModel } from './duckdb-models';

export async function checkModels(dir: string, catalogueFile: string): Promise<{ models: Model[]; problems: string[] }> {
  const catalogue = JSON.parse(await readFile(catalogueFile, 'utf8')) as { categories: Record<string, { fields: string[] }> };
  let models: Model[];
  try {
    models = await loadModels(dir);
  } catch (error) {
    if (error instanceof ModelError) return { models: [], problems: [error.message] };
    throw error;
  }
  const problems: string[] = [];
  for (const model of models) {
    for (const [category, fields] of Object.entries(model.needs)) {
      const entry = catalogue.categories[category];
      if (!entry) problems.push(`${model.name}: needs category ${category}, which ${catalogueFile} does not have`);
      else for (const f of fields) if (!entry.fields.includes(f)) problems.push(`${model.name}: needs ${category}.${f}, which ${catalogueFile} does not list (fields: ${entry.fields.join(', ')})`);
    }
    try {
      await runModel(model, [], Object.fromEntries(model.parameters.map((p) => [p.name, p.default])));
    } catch (error) {
      if (!(error instanceof ModelError)) throw error;
      problems.push(error.message);
    }
  }
  return { models, problems };
}

if (process.argv[1]?.endsWith('models-check.ts')) {
  const [dir = 'models', catalogue = 'policies/categories.json'] = process.argv.slice(2);
  const { models, problems } = await checkModels(dir, catalogue);
  for (const m of models) console.log(`${m.name}: needs ${Object.keys(m.needs).join(', ')}${m.parameters.length ? `; parameters ${m.parameters.map((p) => `${p.name}=${p.default}`).join(', ')}` : ''}`);
  if (problems.length) {
    console.error(problems.map((p) => `models:check: ${p}`).join('\n'));
    process.exitCode = 1;
  } else console.log(`models:check: ${models.length} models in ${dir} are valid against ${catalogue}`);
}
