/**
 * `npm start`: the whole demo federation on this machine. Generates the development PKI if
 * missing, starts the demo department adapters and the gateway as separate processes on
 * loopback, and prints what to type next. Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ensureDevPki } from '../certs-dev/pki';
import { DEMO_USERS } from '../demo/users';
import { DEMO_UNITS } from '../demo/units';
import { buildCli } from './build-cli';
import { buildConsole } from './build-console';

const ROOT = resolve(import.meta.dirname, '..');
const PKI_DIR = resolve(ROOT, process.env.QIAO_PKI_DIR ?? '.dev');
const HTTP_PORT = process.env.QIAO_HTTP_PORT ?? '8080';
const CONSOLE_PORT = process.env.QIAO_CONSOLE_PORT ?? '8081';
const OIDC_PORT = process.env.QIAO_OIDC_PORT ?? '8090';
const DEPARTMENTS = ['public_security', 'natural_resources', 'bank', 'finance', 'civil_affairs', 'market_regulation', 'vehicle_administration', 'organisation'];
/**
 * The embedded database writes large bytea values slowly (a few MB/s) and holds them in the
 * gateway's memory, so on PGlite the bank's cooperative answers with 1 000 000 transactions
 * (≈ 285 MiB of NDJSON, 32 MiB of deflated ciphertext; the gateway's RSS peaked at 713 MiB, its
 * heap at 77, against 606 and 74 for 200 000: README, "Performance"); with DATABASE_URL set, with
 * the full 3.4 million (≈ 970 MiB).
 */
const ON_POSTGRES = Boolean(process.env.DATABASE_URL);
const BANK_VOLUME = ON_POSTGRES ? undefined : '1000000';
/**
 * `QIAO_RUN_DIR` (default `.data`): where this federation's logs (`logs/`) and the adapters'
 * served-warrant logs (`adapters/`) go, so that several federations (soaks) run side by side.
 */
const RUN_DIR = resolve(ROOT, process.env.QIAO_RUN_DIR ?? '.data');
const LOG_DIR = resolve(RUN_DIR, 'logs');
/**
 * `QIAO_HTTPS=1 npm start`: the gateway serves HTTPS with the dev PKI's server certificate
 * (localhost, 127.0.0.1), and every process that calls it — the adapters fetching its JWKS, the
 * command line — trusts the dev CA through Node's NODE_EXTRA_CA_CERTS (`./qiao` sets it from
 * QIAO_CA_FILE).
 */
const HTTPS = ['1', 'true'].includes(process.env.QIAO_HTTPS ?? '');

/**
 * Node flags of every process the launcher starts. `--no-turbo-inline-js-wasm-calls`: under load
 * the gateway aborted (exit 133, "unreachable code" in V8's Deoptimizer building a builtin
 * continuation frame) right after hot fan-out and policy paths; the one lead is TurboFan inlining
 * JS→Wasm calls (Cedar's Wasm is called on every request), on by default in Node 20's V8 11.3.
 * V8 flags are not allowed in NODE_OPTIONS, so they go on the command line; the gateway also sets
 * it itself at start (gateway/runtime-flags.ts) for deployments that do not use this launcher.
 * `QIAO_NODE_FLAGS` adds flags of its own (space-separated, e.g. to try another V8 setting).
 */
const NODE_FLAGS = ['--no-turbo-inline-js-wasm-calls', ...(process.env.QIAO_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean)];
const NODE = process.execPath;
const TSX_LOADER = resolve(ROOT, 'node_modules/tsx/dist/esm/index.mjs');

/** Restart backoff: 1 s, 2 s, 4 s … at most 30 s; back to 1 s once a process stayed up a minute. */
const RESTART_BASE_MS = 1_000;
const RESTART_MAX_MS = 30_000;
const STABLE_MS = 60_000;

const children = new Set<ChildProcess>();
let stopping = false;
/** Unexpected exits of started processes (the soak counts them from these lines). */
let exits = 0;

/**
 * Starts a TypeScript entry point as a supervised child process, its output going to
 * `.data/logs/<name>.log`, and resolves with the first output line matching `ready`. A process
 * that dies after it was ready is started again (same arguments: `argsAfterReady` may pin a port
 * it chose) with backoff, and the launcher says so; one that dies before it was ready the first
 * time stops the federation.
 */
function launch(
  name: string,
  entry: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  argsAfterReady: (m: RegExpMatchArray) => string[] = () => args,
): Promise<RegExpMatchArray> {
  const logFile = resolve(LOG_DIR, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const tail = () => readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
  let restarts = 0;
  return new Promise((resolveReady, reject) => {
    let everReady = false;
    const run = (runArgs: string[]) => {
      const startedAt = Date.now();
      const child = spawn(NODE, [...NODE_FLAGS, '--import', TSX_LOADER, resolve(ROOT, entry), ...runArgs], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      let matched = false;
      const onLine = (line: string) => {
        log.write(`${line}\n`);
        const m = line.match(ready);
        if (m && !matched) {
          matched = true;
          if (!everReady) {
            everReady = true;
            args = argsAfterReady(m);
            resolveReady(m);
          } else console.log(`${name} is back (restart ${restarts})`);
        }
      };
      createInterface({ input: child.stdout! }).on('line', onLine);
      createInterface({ input: child.stderr! }).on('line', onLine);
      child.on('exit', (code, signal) => {
        children.delete(child);
        if (stopping) return;
        const how = signal ?? `code ${code}`;
        setTimeout(() => {
          if (!everReady) return reject(new Error(`${name} exited (${how}) before it was ready. Last lines of ${logFile}:\n${tail()}`));
          exits += 1;
          if (Date.now() - startedAt > STABLE_MS) restarts = 0;
          const waitMs = Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** restarts);
          restarts += 1;
          console.error(
            `${name} exited unexpectedly (${how}) after ${((Date.now() - startedAt) / 1000).toFixed(0)} s; restarting it in ${waitMs / 1000} s (restart ${restarts}, ${exits} unexpected exit(s) so far). Last lines of ${logFile}:\n${tail()}`,
          );
          setTimeout(() => {
            if (!stopping) run(args);
          }, waitMs);
        }, 100);
      });
    };
    run(args);
  });
}

async function stop(code: number): Promise<never> {
  stopping = true;
  const running = [...children]
    .filter((c) => c.exitCode === null && c.signalCode === null)
    .map((c) => new Promise<void>((r) => { c.once('exit', () => r()); c.kill('SIGTERM'); }));
  const timer = setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), 5_000);
  await Promise.all(running);
  clearTimeout(timer);
  process.exit(code);
}

// Ctrl-C reaches the launcher twice: from the terminal (the whole process group) and from npm,
// which passes on what it gets. Once is enough.
const onSignal = (signal: NodeJS.Signals) => {
  if (stopping) return;
  if (signal === 'SIGINT') console.log('\nstopping the federation…');
  void stop(0);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

async function main() {
  const started = Date.now();
  mkdirSync(LOG_DIR, { recursive: true });
  const pki = await ensureDevPki({ dir: PKI_DIR, departments: DEPARTMENTS, units: DEMO_UNITS.map((u) => u.id), signers: DEMO_USERS });
  console.log(`development PKI ready in ${PKI_DIR}`);
  // ./qiao would build it on its first run too; built here, the first command starts as fast as the rest.
  await buildCli().then(
    (cli) => console.log(`command line built in ${cli.ms} ms: ./qiao`),
    (err: Error) => console.error(`qiao: the command line could not be built (${err.message}); ./qiao runs it from the TypeScript sources`),
  );

  const consoleBuild = await buildConsole();
  const mainJs = Object.entries(consoleBuild.files).find(([f]) => f.endsWith('.js'));
  console.log(`web console built in ${consoleBuild.ms} ms (${mainJs ? `${(mainJs[1].bytes / 1024).toFixed(0)} KiB of script` : 'no script'})`);
  const consoleOrigin = `http://127.0.0.1:${CONSOLE_PORT}`;
  const issuer = `http://127.0.0.1:${OIDC_PORT}`;
  // The console logs in at a real OpenID Connect provider; it signs with the dev issuer's key, so
  // the command line's development tokens verify against the same JWKS.
  await launch('oidc-provider', 'demo/oidc-provider.ts', ['--issuer', issuer, '--signing-key', resolve(pki.dir, 'keys/dev-issuer.jwk'), '--console', consoleOrigin], {}, /OpenID Connect provider listening on/);

  const caFile = resolve(pki.dir, 'pki/ca.crt');
  const trustDevCa = HTTPS ? { NODE_EXTRA_CA_CERTS: caFile } : {};
  const scheme = HTTPS ? 'https' : 'http';
  const metrics: string[] = [];
  const addresses = await Promise.all(
    DEPARTMENTS.map(async (dept) => {
      // The gateway starts after the adapters: they fetch its JWKS on the first warrant, not now.
      const jwks = `${scheme}://127.0.0.1:${HTTP_PORT}/.well-known/jwks.json`;
      const args = ['--department', dept, '--port', '0', '--metrics-port', '0', '--pki-dir', pki.dir, '--gateway-jwks-url', jwks, '--served-log', resolve(RUN_DIR, 'adapters', dept, 'served-log.ndjson')];
      if (dept === 'bank' && BANK_VOLUME) args.push('--demo-volume', BANK_VOLUME);
      // A restarted adapter comes back on the port it chose first: the gateway knows it by that.
      const m = await launch(dept, 'adapters/main.ts', args, trustDevCa, /listening on (\S+:(\d+))(?: \(metrics (\S+)\))?/, (ready) =>
        args.map((a, i) => (args[i - 1] === '--port' ? ready[2]! : a)),
      );
      if (m[3]) metrics.push(`${dept} ${m[3]}`);
      return `${dept}=${m[1]}`;
    }),
  );
  console.log(`department adapters listening: ${addresses.join(', ')}`);
  console.log(`department metrics (Prometheus): ${metrics.join(', ')}`);

  const gatewayReady = await launch('gateway', 'gateway/main.ts', [], {
    QIAO_MODE: 'development',
    QIAO_HTTP_PORT: HTTP_PORT,
    QIAO_PKI_DIR: pki.dir,
    QIAO_DEPARTMENTS: addresses.join(','),
    QIAO_SEED_DEMO: 'true',
    QIAO_DATA_DIR: process.env.QIAO_DATA_DIR ?? resolve(RUN_DIR, 'pglite'),
    QIAO_TOKEN_ISSUER: issuer,
    QIAO_TOKEN_JWKS_URL: `${issuer}/jwks`,
    QIAO_CONSOLE_ORIGINS: consoleOrigin,
    // The bank's 1 GB answer takes longer than the default 30 s call deadline.
    QIAO_CALL_DEADLINE: '5m',
    ...(HTTPS ? { QIAO_TLS_CERT_FILE: resolve(pki.dir, 'pki/gateway-server.crt'), QIAO_TLS_KEY_FILE: resolve(pki.dir, 'pki/gateway-server.key'), ...trustDevCa } : {}),
  }, /gateway listening on (https?:\/\/\S+)(?: \(metrics (\S+)\))?/);
  if (gatewayReady[2]) console.log(`gateway metrics (Prometheus): ${gatewayReady[2]}`);
  const gatewayUrl = `${scheme}://127.0.0.1:${HTTP_PORT}`;
  await launch('console', 'client/console/serve.ts', ['--gateway', gatewayUrl, '--issuer', issuer, '--port', CONSOLE_PORT, '--dist', consoleBuild.dir, '--directory', resolve(pki.dir, 'directory'), '--units', resolve(pki.dir, 'units'), '--checkpoint-key', resolve(pki.dir, 'keys/checkpoint-verifier.jwk')], {}, /web console listening on/);
  console.log(instructions(gatewayUrl, Date.now() - started));
  console.log(`\nWeb console: ${consoleOrigin}/ (log in as inv.ejinhoro, appr.ordos or auditor.region at the demo sign-on ${issuer})`);
  if (HTTPS) console.log(`It calls the gateway at ${gatewayUrl}: the browser must trust the dev CA (${caFile}) for that, or run the demo without QIAO_HTTPS.`);
}

function instructions(gateway: string, ms: number): string {
  const gw = gateway === 'http://127.0.0.1:8080' || HTTPS ? '' : ` --gateway ${gateway}`;
  const relativeCa = `${relative(ROOT, PKI_DIR) || '.'}/pki/ca.crt`;
  const https = HTTPS
    ? `
The gateway speaks HTTPS with the dev PKI's certificate. In that terminal, first point the command
line at it and have it trust the dev CA:

  export QIAO_GATEWAY=${gateway} QIAO_CA_FILE=${relativeCa}
`
    : '';
  const curlCa = HTTPS ? ` --cacert ${relativeCa}` : '';
  const run = RUN_DIR.startsWith(`${ROOT}/`) ? relative(ROOT, RUN_DIR) : RUN_DIR;
  const nodeCa = HTTPS ? `NODE_EXTRA_CA_CERTS=${relativeCa} ` : '';
  return `
Qiao demo federation is up (${(ms / 1000).toFixed(1)} s): gateway ${gateway}, departments ${DEPARTMENTS.join(', ')}.
${https}
Try the Muhudunbao case in a second terminal, from this folder:

  1. An investigator of the Ejin Horo Banner commission asks about village director Li:
     ./qiao${gw} --as inv.ejinhoro submit --subject 150627196803120034 --category household household_members real_estate grassland_contracts subsidies \\
        --case "EJH-2019-031" --basis "Supervision Law art. 18" --purpose "verify grassland subsidy declarations"

  2. An approver of Ordos City approves it (use the inquiry id printed by step 1):
     ./qiao${gw} --as appr.ordos approve <inquiry-id> --comment "approved for case EJH-2019-031"

  3. The investigator downloads the results and decrypts them locally with the unit key in .dev/units/150627/:
     ./qiao${gw} --as inv.ejinhoro results <inquiry-id>
     The household shows both sons moved back in on 2017-03-15; finance pays Li for 966.5 mu from 2017.

  4. A follow-up inquiry about the household members the answer names (picked here from the decrypted records; linked
     to its parent, same case and legal basis, its own approval as in step 2), then compare both answers here, on this
     machine, with DuckDB (models/; ./qiao models lists them):
     ./qiao${gw} --as inv.ejinhoro follow-up <inquiry-id> --from household_members --category household household_members subsidies
     ./qiao${gw} --as appr.ordos approve <follow-up-id> --comment "follow-up approved"
     ./qiao${gw} --as inv.ejinhoro show <inquiry-id>        (its lineage: follow-ups, and "follow-up of" on the child)
     ./qiao${gw} --as inv.ejinhoro compare <inquiry-id> <follow-up-id> --model grassland-declared-twice
     ./qiao${gw} --as inv.ejinhoro compare <inquiry-id> <follow-up-id> --model subsidy-after-leaving
     → the same 312.5 and 298 mu paid twice in 2017 and 2018; the sons paid on in households they had left.

  5. Assistance to an owner: 萨仁 draws the minimum living allowance from 2019 while holding a stake in the cooperative
     that absorbed hers in 2018 (her enterprises answer names both; qiao follow-up --from enterprises asks about them):
     ./qiao${gw} --as inv.ejinhoro submit --subject 152526197110089446 --category social_assistance household_members enterprises \\
        --case "EJH-2019-031" --basis "Supervision Law art. 18" --purpose "verify assistance eligibility"
     ./qiao${gw} --as appr.ordos approve <inquiry-id> --comment "approved"
     ./qiao${gw} --as inv.ejinhoro compare <inquiry-id> --model assistance-to-owners

What can be asked of whom, and which departments answer: ./qiao${gw} --as inv.ejinhoro catalogue
Other things to try: ./qiao --help · ./qiao --as inv.ejinhoro list · ./qiao --as appr.ordos show <inquiry-id>
With curl:  TOKEN=$(./qiao${gw} token inv.ejinhoro); curl${curlCa} -H "authorization: Bearer $TOKEN" ${gateway}/v1/inquiries
Demo users: inv.ejinhoro, appr.ordos, inv.alxa, appr.alxa, inv.region, appr.region, auditor.region (see demo/users.ts).

A big answer: the bank transactions of the Muhudunbao cooperative (${ON_POSTGRES ? '≈ 970 MiB' : '≈ 285 MiB on the embedded database; ≈ 970 MiB with DATABASE_URL'}),
streamed, verified and decrypted with a progress bar. Bank transactions are highly sensitive: the
league approver, then two distinct regional approvers (policies/approvals.json):
     ./qiao${gw} --as inv.ejinhoro submit --org --subject 93150627MA0N2K7P26 --category bank_transactions \\
        --case "EJH-2019-031" --basis "Supervision Law art. 18" --purpose "trace subsidy payments"
     ./qiao${gw} --as appr.ordos approve <inquiry-id> --comment "league approval"
     ./qiao${gw} --as appr.region approve <inquiry-id> --comment "regional approval"
     ./qiao${gw} --as appr2.region approve <inquiry-id> --comment "second regional approval"
     ./qiao${gw} --as inv.ejinhoro results <inquiry-id> --format ndjson --out /tmp/coop.ndjson

Evidence of an inquiry in one file, verified offline with the pinned keys only:
     ./qiao${gw} --as inv.ejinhoro evidence export <inquiry-id> --out case.qiao-evidence --audit-as auditor.region
     ./qiao${gw} evidence verify case.qiao-evidence

The audit log, checked as an auditor would, and by a department against its own served-warrant log:
     ./qiao${gw} --as auditor.region audit verify
     ${nodeCa}npx tsx adapters/reconcile.ts --department public_security --gateway ${gateway} --as ops.public_security \\
        --log ${run}/adapters/public_security/served-log.ndjson --checkpoint-key .dev/keys/checkpoint-verifier.jwk \\
        --state ${run}/adapters/public_security/audit-state.json

Logs: ${run}/logs/ (gateway.log and one per department); served-warrant logs: ${run}/adapters/. Ctrl-C stops everything.`;
}

main().catch((err: unknown) => {
  console.error(`qiao: the demo federation could not start: ${(err as Error).message}`);
  void stop(1);
});
