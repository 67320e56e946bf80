import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cpuPerInquiry, percentile, readExit, readRestart, writeReport, type SoakReport } from './soak-report';

/** The soak report reads the launcher's lines (scripts/start.ts) and writes what a reader checks. */
describe('soak report', () => {
  it("reads the launcher's exit and restart lines, a code or a signal", () => {
    expect(readExit('gateway exited unexpectedly (code 133) after 412 s; restarting it in 1 s (restart 1, 1 unexpected exit(s) so far). Last lines of …')).toEqual({
      process: 'gateway',
      how: 'code 133',
      code: 133,
      signal: null,
      afterSeconds: 412,
    });
    expect(readExit('bank exited unexpectedly (SIGKILL) after 9 s; restarting it in 2 s')).toMatchObject({ process: 'bank', code: null, signal: 'SIGKILL' });
    expect(readExit('gateway listening on http://127.0.0.1:8080')).toBeNull();
    expect(readRestart('gateway is back (restart 2)')).toEqual({ process: 'gateway', restart: 2 });
  });

  it('takes percentiles by rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(sorted, 50), percentile(sorted, 95), percentile([7], 95), percentile([], 50)]).toEqual([50, 95, 7, null]);
  });

  it('takes CPU per inquiry as the difference of two readings, most first, leaving out the idle', () => {
    const before = new Map([['gateway', 10], ['bank', 2], ['client', 5]]);
    const after = new Map([['gateway', 13], ['bank', 2], ['client', 6], ['postgres', 1.5]]);
    expect(cpuPerInquiry(before, after, 100)).toEqual([
      { process: 'gateway', ms: 30 },
      { process: 'postgres', ms: 15 },
      { process: 'client', ms: 10 },
    ]);
    expect(cpuPerInquiry(before, after, 0)).toEqual([]);
  });

  const dir = mkdtemp(join(tmpdir(), 'qiao-soak-report-'));
  afterAll(async () => rm(await dir, { recursive: true, force: true }));
  const report: SoakReport = {
    startedAt: '2026-12-02T18:00:00.000Z',
    durationSeconds: 120,
    machine: { node: 'v20.20.2', cpus: 2, database: 'PGlite', nodeFlags: '' },
    settings: { count: 200, concurrency: 8, cpuLoad: 1, maxMinutes: 3 },
    inquiries: { answered: 199, failed: 1, perSecond: 1.66, latencyMs: { p50: 800, p95: 2100, max: 4000 } },
    exits: [{ process: 'gateway', how: 'code 133', code: 133, signal: null, afterSeconds: 60 }],
    restarts: [{ process: 'gateway', restart: 1 }],
    loadAverage: { start: 3, mean: 5.5, max: 9.25, end: 6 },
    memoryAtEnd: [{ process: 'gateway', pid: 42, rssMiB: 180.5, heapUsedMiB: 60.2 }, { process: 'console', pid: 43, rssMiB: 70, heapUsedMiB: null }],
    cpu: { inquiries: 150, seconds: 10, perInquiryMs: [{ process: 'gateway', ms: 30.5 }, { process: 'postgres', ms: 20 }] },
    failures: ['inquiry 7: bank failed | transport: bank unreachable'],
    runDir: null,
  };

  it('writes Markdown, or JSON for a .json file', async () => {
    const md = join(await dir, 'soak.md');
    await writeReport(md, report);
    const text = await readFile(md, 'utf8');
    expect(text).toContain('| answered | 199 |');
    expect(text).toContain('| latency, submit to results (p50 / p95 / max) | 800 ms / 2100 ms / 4000 ms |');
    expect(text).toContain('| gateway | code 133 | 60 s |');
    expect(text).toContain('| gateway | 42 | 180.5 MiB | 60.2 MiB |');
    expect(text).toContain('| console | 43 | 70 MiB | — |');
    expect(text).toContain('150 inquiries in 10 s (15.0/s)');
    expect(text).toContain('| gateway | 30.5 |');
    expect(text).toContain('| all | 50.5 |');
    expect(text).toContain('- inquiry 7: bank failed \\| transport: bank unreachable');
    const json = join(await dir, 'soak.json');
    await writeReport(json, report);
    expect(JSON.parse(await readFile(json, 'utf8'))).toEqual(report);
  });
});
