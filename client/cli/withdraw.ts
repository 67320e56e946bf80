import type { Command } from 'commander';
import type { ApiClient } from '../core/api-client';

/** `qiao withdraw <id> [--reason …]`: the investigator takes back a pending inquiry they submitted. */
export function registerWithdraw(program: Command, api: () => Promise<ApiClient>): void {
  program
    .command('withdraw <id>')
    .description('withdraw a pending inquiry you submitted; it can no longer be approved')
    .option('--reason <text>', 'why, recorded in the audit log')
    .action(async (id: string, o: { reason?: string }) => {
      const i = await (await api()).withdraw(id, o.reason ? { reason: o.reason } : {});
      console.log(`inquiry ${i.id} withdrawn; status: ${i.status}`);
    });
}
