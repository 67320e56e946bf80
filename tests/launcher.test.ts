import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcessFederation, type ProcessFederation } from '../bench/federation-process';
import { childrenOf, processName } from '../bench/soak-report';

/**
 * `npm start` as a person or a service manager runs it: npm, the launcher (scripts/start.ts) and
 * the federation's processes under it, on PGlite, every port chosen at run time. The launcher
 * restarts a process that dies; a SIGTERM to npm — what `systemctl stop`, `docker stop` or
 * `timeout` sends to the process they started — stops every process of the federation.
 */
let work: string;
let fed: ProcessFederation;
const lines: string[] = [];
/** The processes under npm once it was up, with their command lines. */
const started = new Map<number, string>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'qiao-launcher-'));
  fed = await startProcessFederation({ work, viaNpm: true, onLine: (line) => lines.push(line) });
  for (const pid of await descendants(fed.process.pid!)) started.set(pid, await commandOf(pid));
}, 180_000);
afterAll(async () => {
  await fed?.stop();
  // Whatever a failed test left running (a process the signal did not reach) — the same process,
  // not another that took its pid since.
  for (const [pid, cmdline] of started) {
    if ((await alive(pid)) && (await commandOf(pid)) === cmdline) process.kill(pid, 'SIGKILL');
  }
  await rm(work, { recursive: true, force: true });
});

const alive = (pid: number) => readFile(`/proc/${pid}/stat`, 'utf8').then(
  (stat) => stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z',
  () => false,
);

const commandOf = (pid: number) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');

/** The federation's processes under the launcher under npm, by name. */
async function federationProcesses(): Promise<{ launcher: number; byName: Map<string, number> }> {
  const [launcher, ...others] = await childrenOf(fed.process.pid!);
  expect(others, 'npm runs the launcher itself (exec), no shell in between').toEqual([]);
  const byName = new Map<string, number>();
  for (const pid of await childrenOf(launcher!)) {
    const name = processName((await commandOf(pid)).split('\0'));
    if (name) byName.set(name, pid);
  }
  return { launcher: launcher!, byName };
}

/** Every process under `pid`, at any depth. */
async function descendants(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const child of await childrenOf(pid)) out.push(child, ...(await descendants(child)));
  return out;
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s. The launcher's last lines:\n${lines.slice(-15).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('npm start', () => {
  it('restarts a department that dies, saying so, and the federation answers on', async () => {
    const { byName } = await federationProcesses();
    expect([...byName.keys()].sort()).toEqual(
      ['bank', 'civil_affairs', 'console', 'finance', 'gateway', 'market_regulation', 'natural_resources', 'oidc-provider', 'organisation', 'public_security', 'vehicle_administration'].sort(),
    );
    process.kill(byName.get('finance')!, 'SIGKILL');
    await until('finance restarted', () => lines.some((l) => /^finance is back \(restart 1\)/.test(l)), 60_000);
    expect(lines.find((l) => /^finance exited unexpectedly/.test(l))).toMatch(/^finance exited unexpectedly \(SIGKILL\) after \d+ s; restarting it in 1 s \(restart 1, 1 unexpected exit\(s\) so far\)/);
    expect(fed.exits).toMatchObject([{ process: 'finance', how: 'SIGKILL' }]);
    expect((await federationProcesses()).byName.get('finance')).not.toBe(byName.get('finance'));
    const ready = await fetch(`${fed.gateway}/ready`);
    expect(ready.status).toBe(200);
  }, 90_000);

  it('stops every process of the federation on a SIGTERM to npm', async () => {
    const npm = fed.process.pid!;
    const pids = [npm, ...(await descendants(npm))];
    expect(pids.length).toBeGreaterThanOrEqual(13); // npm, the launcher, 11 processes (and esbuild's service)
    process.kill(npm, 'SIGTERM');
    // npm passes the signal to the script's process; the launcher stops its processes (SIGTERM, then SIGKILL after 5 s).
    await until('every process of the federation gone', async () => (await Promise.all(pids.map(alive))).every((a) => !a), 30_000);
    await until('npm exited', () => fed.process.exitCode !== null || fed.process.signalCode !== null, 5_000);
  }, 60_000);
});
