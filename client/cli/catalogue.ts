import type { Command } from 'commander';
import type { ApiClient } from '../core/api-client';
import { renderTable } from './format';

/** `qiao catalogue`: what can be asked of whom, with which approvals, and which departments answer now. */
export function registerCatalogue(program: Command, api: () => Promise<ApiClient>): void {
  program
    .command('catalogue')
    .description('the data categories: department, fields, sensitivity, approvals needed; and whether each department answers now')
    .option('--json', 'the answer as JSON')
    .action(async (o: { json?: boolean }) => {
      const catalogue = await (await api()).catalogue();
      if (o.json) {
        console.log(JSON.stringify(catalogue, null, 2));
        return;
      }
      const chain = (steps: { role: string; at: string; count: number }[]) => steps.map((s) => `${s.count}× ${s.role} (${s.at})`).join(' → ');
      console.log(renderTable(catalogue.categories.map((c) => ({
        category: c.name, department: c.department, sensitivity: c.sensitivity, approvals: chain(c.approvalChain), fields: c.fields.join(', '),
      }))));
      console.log('');
      console.log(renderTable(catalogue.departments.map((d) => ({
        department: d.name, health: d.health, categories: d.categories.join(', '), adapter: d.displayName ?? '',
      }))));
    });
}
