/**
 * `npm start`: the whole demo federation on this machine. Generates the development PKI if
 * missing, starts the two demo department adapters and the gateway as separate processes on
 * loopback, and prints what to type next. Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ensureDevPki } from '../certs-dev/pki';
import { DEMO_UNITS } from '../demo/units';
import { buildCli } from './build-cli';
import { buildConsole } from './build-console';

const ROOT = resolve(import.meta.dirname, '..');
const PKI_DIR = resolve(ROOT, process.env.QIAO_PKI_DIR ?? '.dev');
const HTTP_PORT = process.env.QIAO_HTTP_PORT ?? '8080';
const CONSOLE_PORT = process.env.QIAO_CONSOLE_PORT ?? '8081';
const OIDC_PORT = process.env.QIAO_OIDC_PORT ?? '8090';
const DEPARTMENTS = ['public_security', 'natural_resources', 'bank'];
const TSX = resolve(ROOT, 'node_modules/.bin/tsx');
/**
 * The embedded database writes large bytea values slowly (a few MB/s) and holds them in memory,
 * so on PGlite the bank's cooperative answers with 200 000 transactions (≈ 57 MiB); with
 * DATABASE_URL set, with the full 3.4 million (≈ 970 MiB).
 */
const ON_POSTGRES = Boolean(process.env.DATABASE_URL);
const BANK_VOLUME = ON_POSTGRES ? undefined : '200000';
const LOG_DIR = resolve(ROOT, '.data/logs');

const children: ChildProcess[] = [];
let stopping = false;

/**
 * Starts a TypeScript entry point as a child process, its output going to `.data/logs/<name>.log`,
 * and resolves with the first output line matching `ready`.
 */
function launch(name: string, entry: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<RegExpMatchArray> {
  const logFile = resolve(LOG_DIR, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(TSX, [resolve(ROOT, entry), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolveReady, reject) => {
    let matched = false;
    const onLine = (line: string) => {
      log.write(`${line}\n`);
      const m = line.match(ready);
      if (m && !matched) {
        matched = true;
        resolveReady(m);
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      const tail = () => readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
      const how = signal ?? `code ${code}`;
      setTimeout(() => {
        if (!matched) reject(new Error(`${name} exited (${how}) before it was ready. Last lines of ${logFile}:\n${tail()}`));
        else {
          console.error(`${name} stopped unexpectedly (${how}); stopping the federation. Last lines of ${logFile}:\n${tail()}`);
          void stop(1);
        }
      }, 100);
    });
  });
}

async function stop(code: number): Promise<never> {
  stopping = true;
  const exits = children
    .filter((c) => c.exitCode === null && c.signalCode === null)
    .map((c) => new Promise<void>((r) => { c.once('exit', () => r()); c.kill('SIGTERM'); }));
  const timer = setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), 5_000);
  await Promise.all(exits);
  clearTimeout(timer);
  process.exit(code);
}

process.on('SIGINT', () => { console.log('\nstopping the federation…'); void stop(0); });
process.on('SIGTERM', () => void stop(0));

async function main() {
  const started = Date.now();
  mkdirSync(LOG_DIR, { recursive: true });
  const pki = await ensureDevPki({ dir: PKI_DIR, departments: DEPARTMENTS, units: DEMO_UNITS.map((u) => u.id) });
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

  const addresses = await Promise.all(
    DEPARTMENTS.map(async (dept) => {
      // The gateway starts after the adapters: they fetch its JWKS on the first warrant, not now.
      const jwks = `http://127.0.0.1:${HTTP_PORT}/.well-known/jwks.json`;
      const args = ['--department', dept, '--port', '0', '--pki-dir', pki.dir, '--gateway-jwks-url', jwks];
      if (dept === 'bank' && BANK_VOLUME) args.push('--demo-volume', BANK_VOLUME);
      const m = await launch(dept, 'adapters/main.ts', args, {}, /listening on (\S+:\d+)/);
      return `${dept}=${m[1]}`;
    }),
  );
  console.log(`department adapters listening: ${addresses.join(', ')}`);

  await launch('gateway', 'gateway/main.ts', [], {
    QIAO_MODE: 'development',
    QIAO_HTTP_PORT: HTTP_PORT,
    QIAO_PKI_DIR: pki.dir,
    QIAO_DEPARTMENTS: addresses.join(','),
    QIAO_SEED_DEMO: 'true',
    QIAO_TOKEN_ISSUER: issuer,
    QIAO_TOKEN_JWKS_URL: `${issuer}/jwks`,
    QIAO_CONSOLE_ORIGINS: consoleOrigin,
    // The bank's 1 GB answer takes longer than the default 30 s call deadline.
    QIAO_CALL_DEADLINE: '5m',
  }, /gateway listening on (http:\/\/\S+)/);
  const gatewayUrl = `http://127.0.0.1:${HTTP_PORT}`;
  await launch('console', 'client/console/serve.ts', ['--gateway', gatewayUrl, '--issuer', issuer, '--port', CONSOLE_PORT, '--dist', consoleBuild.dir, '--directory', resolve(pki.dir, 'directory'), '--checkpoint-key', resolve(pki.dir, 'keys/checkpoint-verifier.jwk')], {}, /web console listening on/);
  console.log(instructions(gatewayUrl, Date.now() - started));
  console.log(`\nWeb console: ${consoleOrigin}/ (log in as inv.ejinhoro, appr.ordos or auditor.region at the demo sign-on ${issuer})`);
}

function instructions(gateway: string, ms: number): string {
  const gw = gateway === 'http://127.0.0.1:8080' ? '' : ` --gateway ${gateway}`;
  return `
Qiao demo federation is up (${(ms / 1000).toFixed(1)} s): gateway ${gateway}, departments public_security, natural_resources and bank.

Try the Muhudunbao case in a second terminal, from this folder:

  1. An investigator of the Ejin Horo Banner commission asks about village director Li:
     ./qiao${gw} --as inv.ejinhoro submit --subject 150627196803120034 --category household household_members real_estate grassland_contracts \\
        --case "EJH-2019-031" --basis "Supervision Law art. 18" --purpose "verify grassland subsidy declarations"

  2. An approver of Ordos City approves it (use the inquiry id printed by step 1):
     ./qiao${gw} --as appr.ordos approve <inquiry-id> --comment "approved for case EJH-2019-031"

  3. The investigator downloads the results and decrypts them locally with the unit key in .dev/units/150627/:
     ./qiao${gw} --as inv.ejinhoro results <inquiry-id>

Other things to try: ./qiao --help · ./qiao --as inv.ejinhoro list · ./qiao --as appr.ordos show <inquiry-id>
With curl:  TOKEN=$(./qiao${gw} token inv.ejinhoro); curl -H "authorization: Bearer $TOKEN" ${gateway}/v1/inquiries
Demo users: inv.ejinhoro, appr.ordos, inv.alxa, appr.alxa, inv.region, appr.region, auditor.region (see demo/users.ts).

A big answer: the bank transactions of the Muhudunbao cooperative (${ON_POSTGRES ? '≈ 970 MiB' : '≈ 57 MiB on the embedded database; ≈ 970 MiB with DATABASE_URL'}),
streamed, verified and decrypted with a progress bar. Bank transactions are highly sensitive: the
league approver, then two distinct regional approvers (policies/approvals.json):
     ./qiao${gw} --as inv.ejinhoro submit --org --subject 93150627MA0N2K7P26 --category bank_transactions \\
        --case "EJH-2019-031" --basis "Supervision Law art. 18" --purpose "trace subsidy payments"
     ./qiao${gw} --as appr.ordos approve <inquiry-id> --comment "league approval"
     ./qiao${gw} --as appr.region approve <inquiry-id> --comment "regional approval"
     ./qiao${gw} --as appr2.region approve <inquiry-id> --comment "second regional approval"
     ./qiao${gw} --as inv.ejinhoro results <inquiry-id> --format ndjson --out /tmp/coop.ndjson

The audit log, checked as an auditor would, and by a department against its own served-warrant log:
     ./qiao${gw} --as auditor.region audit verify
     npx tsx adapters/reconcile.ts --department public_security --gateway ${gateway} --as ops.public_security \\
        --log .data/adapters/public_security/served-log.ndjson --checkpoint-key .dev/keys/checkpoint-verifier.jwk \\
        --state .data/adapters/public_security/audit-state.json

Logs: .data/logs/ (gateway.log, public_security.log, natural_resources.log, bank.log); served-warrant logs: .data/adapters/. Ctrl-C stops everything.`;
}

main().catch((err: unknown) => {
  console.error(`qiao: the demo federation could not start: ${(err as Error).message}`);
  void stop(1);
});
