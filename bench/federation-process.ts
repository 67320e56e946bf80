/**
 * The demo federation exactly as `npm start` runs it — scripts/start.ts as a child process, which
 * starts the OIDC provider, the adapters, the gateway and the console as processes of their own —
 * on ports chosen at run time, in a folder of its own, with the demo policies and fair use lifted
 * (a benchmark or a soak is thousands of inquiries a day). For `npm run soak` and
 * `npm run bench:load -- --processes`. PGlite, or PostgreSQL when `databaseUrl` is given.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { createApiClient, type ApiClient } from '../client/core/api-client';
import { nodeFetch } from '../client/cli/http-transport';
import { withSigning } from '../client/core/signing';
import { readAuthorityKey, readSigner, readUnitKey } from '../client/cli/signing-keys';
import { devLogin } from '../client/core/session';
import { freePort } from '../tests/harness/ports';
import { cpuOfFederation, cpuSecondsOfPids, readExit, readRestart, type ProcessExit } from './soak-report';

const ROOT = resolve(import.meta.dirname, '..');

export interface ProcessFederation {
  gateway: string;
  pkiDir: string;
  logDir: string;
  /** The launcher's process. */
  process: ChildProcess;
  /** Unexpected exits and restarts the launcher reported, as they come. */
  exits: ProcessExit[];
  restarts: { process: string; restart: number }[];
  /** An API client of a demo user that signs with the user's dev key, as `qiao` does. */
  login(username: string): Promise<ApiClient>;
  /** CPU seconds so far of every process, by name: the federation's, `client` (this process) and `postgres` (the database's backends). */
  readCpu(): Promise<Map<string, number>>;
  /** Stops the launcher (SIGINT, as Ctrl-C does) and waits for it. */
  stop(): Promise<void>;
}

export async function startProcessFederation(options: {
  /** The folder for the PKI, data, policies and logs. */
  work: string;
  databaseUrl?: string;
  logLevel?: string;
  /** Every line the launcher writes (stdout and stderr), as it comes. */
  onLine?: (line: string) => void;
  /** Through `npm start` (package.json's script, npm in between) rather than the launcher alone: `process` is then npm's. */
  viaNpm?: boolean;
}): Promise<ProcessFederation> {
  const { work } = options;
  const policyDir = join(work, 'policies');
  await cp(resolve(ROOT, 'policies'), policyDir, { recursive: true });
  const approvals = JSON.parse(await readFile(join(policyDir, 'approvals.json'), 'utf8'));
  approvals.fairUse.perInvestigator = { inquiriesPerDay: 1_000_000, subjectsPerDay: 10_000_000 };
  approvals.fairUse.perUnit = { inquiriesPerDay: 1_000_000, subjectsPerDay: 10_000_000 };
  await writeFile(join(policyDir, 'approvals.json'), JSON.stringify(approvals, null, 2));

  // Every listening port chosen at run time, so it runs beside `npm start` or another of its kind.
  const [port, consolePort, oidcPort] = [await freePort(), await freePort(), await freePort()];
  const gateway = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, QIAO_HTTP_PORT: String(port), QIAO_METRICS_PORT: '0', QIAO_CONSOLE_PORT: String(consolePort), QIAO_OIDC_PORT: String(oidcPort), QIAO_PKI_DIR: join(work, 'pki'), QIAO_DATA_DIR: join(work, 'pglite'), QIAO_POLICY_DIR: policyDir, QIAO_LOG_LEVEL: options.logLevel ?? 'warn', QIAO_RUN_DIR: work };
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  else delete env.DATABASE_URL;
  // npm as `npm test` or `npx` ran this (npm_execpath: its npm-cli.js), else the one on PATH.
  const npm = process.env.npm_execpath?.endsWith('.js') ? [process.execPath, process.env.npm_execpath] : ['npm'];
  const [command, ...args] = options.viaNpm ? [...npm, 'start'] : [process.execPath, '--import', 'tsx', resolve(ROOT, 'scripts/start.ts')];
  const launcher = spawn(command!, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exits: ProcessExit[] = [];
  const restarts: { process: string; restart: number }[] = [];
  /** The launcher's last lines, for when it stops before the federation is up. */
  const said: string[] = [];
  const up = new Promise<void>((ok, fail) => {
    const onLine = (line: string) => {
      said.push(line);
      if (said.length > 15) said.shift();
      if (/federation is up/.test(line)) ok();
      const exit = readExit(line);
      if (exit) exits.push(exit);
      const back = readRestart(line);
      if (back) restarts.push(back);
      options.onLine?.(line);
    };
    createInterface({ input: launcher.stdout! }).on('line', onLine);
    createInterface({ input: launcher.stderr! }).on('line', onLine);
    launcher.once('exit', (code) => fail(new Error(`the federation stopped (code ${code}); the launcher's last lines:\n${said.join('\n')}`)));
  });
  const stop = async () => {
    if (launcher.exitCode !== null || launcher.signalCode !== null) return;
    const gone = new Promise((r) => launcher.once('exit', r));
    launcher.kill('SIGINT');
    await gone;
  };
  try {
    await up;
  } catch (err) {
    await stop();
    throw err;
  }

  const pkiDir = join(work, 'pki');
  const authorityJwk = await readAuthorityKey(join(pkiDir, 'directory'));
  // A long-running client holds the keys it read (the console does); the command line's helpers
  // read the files at every call, which only a process running one command can afford.
  const recipients = new Map<string, ReturnType<typeof readUnitKey>>();
  /** Backends keep their pid for the pool's life: CPU seconds by pid, summed per reading. */
  const backends = new Map<number, number>();
  // The clients talk HTTP as `qiao` does (client/cli/http-transport.ts).
  const transport = nodeFetch();
  return {
    gateway,
    pkiDir,
    logDir: join(work, 'logs'),
    process: launcher,
    exits,
    restarts,
    async login(username) {
      const signer = await readSigner({ pkiDir, username });
      const client = createApiClient({ baseUrl: gateway, token: (await devLogin(gateway, username, { fetch: transport })).token, fetch: transport });
      const { unit } = await client.me();
      return withSigning(client, signer, { authorityJwk, recipient: (id) => kept(recipients, id, () => readUnitKey(pkiDir, id)), unitId: unit.id });
    },
    async readCpu() {
      const seconds = launcher.pid === undefined ? new Map<string, number>() : await cpuOfFederation(launcher.pid);
      const own = process.cpuUsage();
      seconds.set('client', (own.user + own.system) / 1e6);
      if (options.databaseUrl) {
        // The database's backends, where it runs on this machine (their /proc entries are readable).
        const client = new pg.Client({ connectionString: options.databaseUrl });
        try {
          await client.connect();
          const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
          for (const [pid, s] of await cpuSecondsOfPids(rows.map((r) => r.pid))) backends.set(pid, s);
        } catch {
          // no reading of the database's CPU: the rest stands
        } finally {
          await client.end().catch(() => {});
        }
      }
      if (backends.size) seconds.set('postgres', [...backends.values()].reduce((a, b) => a + b, 0));
      return seconds;
    },
    stop,
  };
}

/** `load()` once per key: a failed load is dropped, so the next call tries again. */
export function kept<K, V>(cache: Map<K, Promise<V>>, key: K, load: () => Promise<V>): Promise<V> {
  let value = cache.get(key);
  if (!value) {
    cache.set(key, (value = load()));
    value.catch(() => cache.delete(key));
  }
  return value;
}

