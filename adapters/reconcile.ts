/**
 * A department's reconciliation against the gateway's audit log:
 *
 *   tsx adapters/reconcile.ts --department public_security --gateway http://127.0.0.1:8080 \
 *     --log .data/public_security/served.ndjson --checkpoint-key .dev/keys/checkpoint-verifier.jwk \
 *     --state .data/public_security/audit-state.json [--token-file FILE | --as ops.public_security]
 *
 * Authenticates as the department's operator (a bearer token from the file or QIAO_TOKEN; in
 * development `--as <user>` asks the gateway's dev issuer). Exit status: 0 in agreement, 1 when
 * the department served a warrant the gateway cannot prove it logged (or the log does not
 * verify), 2 when it could not run. Uses proto/ only: no gateway code.
 */
import { Command, Option } from 'commander';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CheckpointRejected, type CheckpointState } from '../proto/audit-client';
import { parseCheckpointKey } from '../proto/audit-log';
import { openServedLog } from './kit/served-log';
import { formatReport, reconcileDepartment, reportFailed } from '../proto/reconcile';

interface Options {
  department: string;
  gateway: string;
  log: string;
  checkpointKey: string;
  state: string;
  origin: string;
  tokenFile?: string;
  as?: string;
  grace: string;
}

async function main(): Promise<void> {
  const o = new Command('reconcile')
    .description('compare the warrants this department served with the gateway’s audit log')
    .requiredOption('--department <name>', 'this department')
    .requiredOption('--gateway <url>', 'gateway base URL')
    .requiredOption('--log <file>', 'the department’s served-warrant log')
    .requiredOption('--checkpoint-key <file>', 'the pinned checkpoint key (note verifier key or public JWK)')
    .requiredOption('--state <file>', 'where the last accepted checkpoint is kept')
    .addOption(new Option('--origin <name>', 'the log’s name in its checkpoints').default('qiao.gateway/audit-log'))
    .option('--token-file <file>', 'bearer token of the department operator (or set QIAO_TOKEN)')
    .option('--as <username>', 'development: get a token from the gateway’s dev issuer')
    .option('--grace <seconds>', 'warrants younger than this are left for the next run', '120')
    .parse()
    .opts<Options>();

  await access(o.log).catch(() => {
    throw new Error(`${o.log}: no served-warrant log there; pass the file the adapter writes`);
  });
  const served = await openServedLog(o.log);
  const entries = [...served.entries()];
  await served.close();
  const verifier = parseCheckpointKey(await readFile(o.checkpointKey, 'utf8'), o.origin);
  const state = await readFile(o.state, 'utf8').then(
    (t) => JSON.parse(t) as CheckpointState,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw new Error(`${o.state}: unreadable (${err.code})`);
    },
  );
  const token = await bearerToken(o);
  const get = async (path: string) => {
    const res = await fetch(new URL(path, o.gateway), { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
    if (!res.ok) throw new Error(`the gateway answered ${res.status} to ${path}: ${body.error?.message ?? 'no message'}`);
    return body;
  };

  const report = await reconcileDepartment({ get, verifier, origin: o.origin, department: o.department, served: entries, state, graceMs: Number(o.grace) * 1000 });
  await mkdir(dirname(o.state), { recursive: true });
  await writeFile(o.state, `${JSON.stringify(report.state, null, 2)}\n`, { mode: 0o600 });
  console.log(formatReport(report));
  process.exitCode = reportFailed(report) ? 1 : 0;
}

async function bearerToken(o: Options): Promise<string> {
  if (o.tokenFile) return (await readFile(o.tokenFile, 'utf8')).trim();
  if (process.env.QIAO_TOKEN) return process.env.QIAO_TOKEN;
  if (o.as) {
    const res = await fetch(new URL('/dev/token', o.gateway), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: o.as }) });
    if (!res.ok) throw new Error(`the gateway's dev issuer refused a token for ${o.as} (${res.status}); outside development use --token-file`);
    return ((await res.json()) as { token: string }).token;
  }
  throw new Error('no credentials: pass --token-file, set QIAO_TOKEN, or in development --as <operator>');
}

main().catch((err: unknown) => {
  console.error(`reconcile: ${err instanceof CheckpointRejected ? 'REFUSED: ' : ''}${(err as Error).message}`);
  process.exitCode = err instanceof CheckpointRejected ? 1 : 2;
});
