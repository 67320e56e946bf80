import type { Command } from 'commander';
import type { DepartmentView } from '../../proto/api/departments';
import type { ApiClient } from '../core/api-client';
import { renderTable } from './format';

/** One department as a table row: what an operator reads first. */
export function departmentRow(d: DepartmentView): Record<string, string> {
  const refusals = Object.entries(d.refusals)
    .sort(([, a], [, b]) => b - a)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  const served = d.servedCategories ?? [];
  const missing = d.servedCategories ? d.catalogueCategories.filter((c) => !served.includes(c)) : [];
  return {
    department: d.name,
    health: d.configured ? d.health : 'not_configured',
    version: d.version ?? '',
    categories: (d.servedCategories ?? d.catalogueCategories).join(', ') + (missing.length ? ` (not served: ${missing.join(', ')})` : ''),
    'last success': d.lastSuccessAt ?? '',
    'last failure': d.lastFailure ? `${d.lastFailure.at} ${d.lastFailure.reason}` : '',
    refusals,
  };
}

/** `qiao departments`: each department's health, version and served categories, and this gateway replica's calls to it. */
export function registerDepartments(program: Command, api: () => Promise<ApiClient>): void {
  program
    .command('departments')
    .description("each department as the gateway sees it: health, version, served categories, last success and failure, refusals by code (auditors, administrators, a department's operator)")
    .option('--json', 'the answer as JSON')
    .action(async (o: { json?: boolean }) => {
      const view = await (await api()).departments();
      if (o.json) {
        console.log(JSON.stringify(view, null, 2));
        return;
      }
      console.log(renderTable(view.departments.map(departmentRow)));
      console.log(`\ncalls counted by the gateway replica that answered, since ${view.observedSince}`);
    });
}
