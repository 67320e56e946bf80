import { Command, Option } from 'commander';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ApiError, type ApiClient } from '../core/api-client';
import type { VerifyState } from '../core/audit-verify';

/**
 * `qiao audit …`: the auditor's commands. Registered in main.ts; `api` logs in as the chosen user
 * (an auditor), `globals` gives --state-dir and --pki-dir.
 */
export function auditCommand(api: () => Promise<ApiClient>, globals: () => { stateDir: string; pkiDir: string }): Command {
  const audit = new Command('audit').description('verify the gateway’s audit log (auditors)');
  audit
    .command('verify')
    .description('check the signed checkpoint, its consistency with the last one seen, every entry, and the order of events')
    .option('--checkpoint-key <file>', 'the pinned checkpoint key: a note verifier key or a public Ed25519 JWK [<pki-dir>/keys/checkpoint-verifier.jwk]')
    .addOption(new Option('--origin <name>', 'the log’s name in its checkpoints').env('QIAO_AUDIT_ORIGIN').default('qiao.gateway/audit-log'))
    .option('--state <file>', 'where the last accepted checkpoint is kept [<state-dir>/audit-state.json]')
    .option('--no-fresh', 'verify the latest scheduled checkpoint instead of asking the gateway to sign one of the log as it is now')
    .action((o: VerifyOptions) => reportErrors(() => verify(o)));

  async function verify(o: VerifyOptions): Promise<void> {
    // Loaded here, not at the top: every other command starts without the audit verifier.
    const [{ parseCheckpointKey }, { verifyAuditLog }] = await Promise.all([import('../../proto/audit-log'), import('../core/audit-verify')]);
    const keyFile = o.checkpointKey ?? join(globals().pkiDir, 'keys/checkpoint-verifier.jwk');
    const keyText = await readFile(keyFile, 'utf8').catch(() => {
      throw new Error(`cannot read the checkpoint key ${keyFile}: pass --checkpoint-key with the file the gateway operator published`);
    });
    const verifier = parseCheckpointKey(keyText, o.origin);
    const stateFile = o.state ?? join(globals().stateDir, 'audit-state.json');
    const state = await readState(stateFile);
    const client = await api();
    if (o.fresh) {
      // A fresh checkpoint covers everything logged so far. It is checked against the pinned key
      // like any other, so asking for one trusts the gateway with nothing.
      await client.signCheckpoint().catch((err: unknown) => {
        if (!(err instanceof ApiError) || (err.status !== 403 && err.status !== 409)) throw err;
        console.error(`note: the gateway signed no fresh checkpoint for you (${err.message}); verifying the latest scheduled one`);
      });
    }
    const started = performance.now();
    const report = await verifyAuditLog({ get: client.getJson, verifier, origin: o.origin, state });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (report.ok) {
      await mkdir(dirname(stateFile), { recursive: true, mode: 0o700 });
      await writeFile(stateFile, `${JSON.stringify(report.state, null, 2)}\n`, { mode: 0o600 });
      console.log(
        `audit log OK: ${report.entries} entries, checkpoint signed by ${verifier.name}` +
          `${state ? `, consistent with the one accepted before (size ${state.size})` : ' (first run: this checkpoint is now pinned)'}; ${seconds}s`,
      );
      return;
    }
    console.error(`audit log FAILED verification${report.checkpoint ? ` against the checkpoint of size ${report.checkpoint.size}` : ''}:`);
    for (const p of report.problems) console.error(`  ${p.message}`);
    process.exitCode = 1;
  }
  return audit;
}

/** A local problem (key file, state file) is said plainly; the gateway's errors go to main's handler. */
async function reportErrors(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    console.error(`qiao audit: ${(err as Error).message}`);
    process.exitCode = 2;
  }
}

async function readState(file: string): Promise<VerifyState | null> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw new Error(`cannot read ${file} (${err.code})`);
  });
  if (text === null) return null;
  try {
    return JSON.parse(text) as VerifyState;
  } catch {
    throw new Error(`${file} is not the verifier's state (JSON); it is the only memory of the last accepted checkpoint — restore it rather than delete it`);
  }
}

interface VerifyOptions {
  checkpointKey?: string;
  origin: string;
  state?: string;
  fresh: boolean;
}
