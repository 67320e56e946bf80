/**
 * `npm run soak -- [--count 5000] [--concurrency 8] [--cpu-load 2] [--max-minutes 120]`: the demo
 * federation exactly as `npm start` runs it (PGlite, or PostgreSQL with DATABASE_URL), driven with
 * mixed small inquiries (public security, natural resources, both) through the client core, with
 * `--cpu-load` busy processes competing for the CPU (the gateway's V8 aborts came on a loaded
 * machine). Reports every unexpected process exit the launcher saw and restarted, and exits 1 if
 * there was any. Bounded in count and time; everything runs on 127.0.0.1; not part of CI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createApiClient, type ApiClient } from '../client/core/api-client';
import { withSigning } from '../client/core/signing';
import { readAuthorityKey, readSigner, readUnitKey } from '../client/cli/signing-keys';
import { waitForResults } from '../client/core/results';
import { devLogin } from '../client/core/session';
import { freePort } from '../tests/harness/ports';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '8' },
    'cpu-load': { type: 'string', default: '2' },
    'max-minutes': { type: 'string', default: '120' },
  },
});
const COUNT = Number(values.count);
const CONCURRENCY = Number(values.concurrency);
const CPU_LOAD = Number(values['cpu-load']);
const DEADLINE = Date.now() + Number(values['max-minutes']) * 60_000;
const LI = '150627196803120034';
const MIX = [['household', 'household_members'], ['real_estate', 'grassland_contracts'], ['household', 'real_estate']];

async function main() {
  const work = await mkdtemp(join(tmpdir(), 'qiao-soak-'));
  // The demo's policies with the fair-use limits lifted: a soak is thousands of inquiries a day.
  const policyDir = join(work, 'policies');
  await cp(resolve(ROOT, 'policies'), policyDir, { recursive: true });
  const approvals = JSON.parse(await readFile(join(policyDir, 'approvals.json'), 'utf8'));
  approvals.fairUse.perInvestigator = { inquiriesPerDay: 1_000_000, subjectsPerDay: 10_000_000 };
  approvals.fairUse.perUnit = { inquiriesPerDay: 1_000_000, subjectsPerDay: 10_000_000 };
  await writeFile(join(policyDir, 'approvals.json'), JSON.stringify(approvals, null, 2));

  // Every listening port chosen at run time, so a soak runs beside `npm start` or another soak.
  const [port, consolePort, oidcPort] = [await freePort(), await freePort(), await freePort()];
  const gateway = `http://127.0.0.1:${port}`;
  const exits: string[] = [];
  const load: ChildProcess[] = [];
  const federation = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'scripts/start.ts')], {
    cwd: ROOT,
    env: { ...process.env, QIAO_HTTP_PORT: String(port), QIAO_METRICS_PORT: '0', QIAO_CONSOLE_PORT: String(consolePort), QIAO_OIDC_PORT: String(oidcPort), QIAO_PKI_DIR: join(work, 'pki'), QIAO_DATA_DIR: join(work, 'pglite'), QIAO_POLICY_DIR: policyDir, QIAO_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const up = new Promise<void>((ok, fail) => {
    const onLine = (line: string) => {
      if (/federation is up/.test(line)) ok();
      const exit = /^(\S+) exited unexpectedly \(([^)]+)\) after (\d+) s/.exec(line);
      if (exit) {
        exits.push(`${exit[1]} (${exit[2]}) after ${exit[3]} s`);
        console.log(`  ! ${line}`);
      }
    };
    createInterface({ input: federation.stdout! }).on('line', onLine);
    createInterface({ input: federation.stderr! }).on('line', onLine);
    federation.once('exit', (code) => fail(new Error(`the federation stopped (code ${code})`)));
  });
  let done = 0;
  let failed = 0;
  const started = Date.now();
  try {
    await up;
    console.log(`federation up at ${gateway}; ${COUNT} inquiries at concurrency ${CONCURRENCY}, ${CPU_LOAD} competing busy process(es)`);
    for (let i = 0; i < CPU_LOAD; i++) load.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
    // Each user signs with the key file the dev PKI wrote for them, as `qiao` does.
    const pkiDir = join(work, 'pki');
    const authorityJwk = await readAuthorityKey(join(pkiDir, 'directory'));
    const login = async (u: string) => {
      const signer = await readSigner({ pkiDir, username: u });
      const client = createApiClient({ baseUrl: gateway, token: (await devLogin(gateway, u)).token });
      const { unit } = await client.me();
      return withSigning(client, signer, { authorityJwk, recipient: (id) => readUnitKey(pkiDir, id), unitId: unit.id });
    };
    let investigator: ApiClient = await login('inv.ejinhoro');
    let approver: ApiClient = await login('appr.ordos');
    let tokensAt = Date.now();
    let next = 0;
    const one = async (n: number) => {
      const { id } = await investigator.submitInquiry({
        caseReference: `SOAK-${n}`,
        legalBasis: 'Supervision Law art. 18',
        purpose: 'soak test',
        subjects: [{ kind: 'person', id: LI }],
        categories: MIX[n % MIX.length]!,
      });
      await approver.approve(id, { comment: 'soak' });
      const listing = await waitForResults(investigator, id, 120_000);
      if (listing.results.some((r) => r.status !== 'succeeded')) throw new Error(`inquiry ${id}: ${listing.results.map((r) => `${r.department} ${r.status} ${r.failureReason ?? ''}`).join('; ')}`);
    };
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < COUNT && Date.now() < DEADLINE) {
          const n = next++;
          if (Date.now() - tokensAt > 10 * 60_000) {
            [investigator, approver, tokensAt] = [await login('inv.ejinhoro'), await login('appr.ordos'), Date.now()];
          }
          try {
            await one(n);
            done += 1;
          } catch (err) {
            failed += 1;
            if (failed <= 20) console.log(`  inquiry ${n} failed: ${(err as Error).message.slice(0, 300)}`);
          }
          if ((done + failed) % 250 === 0) console.log(`  ${done + failed}/${COUNT} (${failed} failed, ${exits.length} process exit(s)) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
        }
      }),
    );
  } finally {
    for (const p of load) p.kill('SIGKILL');
    if (federation.exitCode === null && federation.signalCode === null) {
      const gone = new Promise((r) => federation.once('exit', r));
      federation.kill('SIGINT');
      await gone;
    }
    await rm(work, { recursive: true, force: true });
  }
  const s = (Date.now() - started) / 1000;
  console.log(`\nsoak: ${done} inquiries answered, ${failed} failed, in ${s.toFixed(0)} s (${(done / s).toFixed(1)}/s); ${exits.length} unexpected process exit(s)${exits.length ? `: ${exits.join(', ')}` : ''}`);
  process.exit(exits.length || failed ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(`soak: ${(err as Error).message}`);
  process.exit(1);
});
