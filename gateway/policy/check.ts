/**
 * `npm run policies:check [-- <policy dir> [<catalogue file>]]`: validates the policy files the
 * way the gateway does at start — the catalogue, the Cedar schema and policies (strict
 * validation), approvals.json — and prints what they say, or every problem with file and line.
 * Exit status 0 when the gateway would start with them, 1 when it would refuse.
 */
import { basename, join, resolve } from 'node:path';
import { CatalogueError, loadCatalogue } from '../catalogue';
import { PolicyFileError } from './approval-policy';
import { loadPolicies } from './load-policies';

async function main(): Promise<number> {
  const dir = resolve(process.argv[2] ?? 'policies');
  const catalogueFile = resolve(process.argv[3] ?? join(dir, 'categories.json'));
  try {
    const catalogue = await loadCatalogue(catalogueFile);
    const { policy, approvals } = await loadPolicies(dir, catalogue);
    const byFile = new Map<string, string[]>();
    for (const [id, p] of policy.policies) byFile.set(basename(p.file), [...(byFile.get(basename(p.file)) ?? []), `${p.effect} ${id}`]);
    console.log(`policies in ${dir} are valid:`);
    console.log(`  ${catalogueFile}: ${Object.keys(catalogue.categories).length} categories`);
    for (const [file, ids] of byFile) console.log(`  ${file}: ${ids.length} policies, validated against qiao.cedarschema\n${ids.map((i) => `    ${i}`).join('\n')}`);
    console.log(`  approvals.json: pending inquiries expire after ${approvals.pendingExpiresAfterMs / 3_600_000} h`);
    for (const [sensitivity, chain] of Object.entries(approvals.chains)) {
      console.log(`    ${sensitivity}: ${chain.map((s) => `${s.count} × ${s.role} at the ${s.at}`).join(', then ')}`);
    }
    return 0;
  } catch (err) {
    if (err instanceof PolicyFileError || err instanceof CatalogueError) {
      console.error(`policies in ${dir} are NOT valid; the gateway would refuse to start:\n${err.message}`);
      return 1;
    }
    throw err;
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(`policies:check failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(2);
});
