/**
 * `npm run test:alone [-- <file filters…>] [--files-only]`: runs each test file by itself, then
 * each test by itself — a fresh `vitest run <file> -t <its full name>` per test — and lists every
 * one that fails alone: a test that passed in the suite only because another left something
 * behind. Filters are those of `vitest list` (e.g. `tests/` or `gateway/routes`). Slow by nature
 * (each test pays its file's setup); one run at a time, since the machine's cores are the tests'.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const VITEST = join(ROOT, 'node_modules/.bin/vitest');

interface Listed {
  name: string;
  file: string;
}
interface Outcome {
  passed: number;
  failed: number;
  messages: string[];
}

function vitest(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(VITEST, args, { cwd: ROOT, maxBuffer: 256 * 1024 ** 2 }, (err, stdout, stderr) =>
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** One `vitest run`, read back from its JSON report: how many tests passed and failed, and why. */
async function run(args: string[]): Promise<Outcome> {
  const dir = await mkdtemp(join(tmpdir(), 'qiao-test-alone-'));
  try {
    const report = join(dir, 'report.json');
    const { stderr } = await vitest(['run', '--reporter=json', `--outputFile=${report}`, ...args]);
    const json = await readFile(report, 'utf8').catch(() => null);
    if (!json) return { passed: 0, failed: 1, messages: [`vitest wrote no report: ${stderr.trim().split('\n').slice(-5).join(' | ')}`] };
    const results = (JSON.parse(json) as { testResults: { message?: string; assertionResults: { status: string; failureMessages: string[] }[] }[] }).testResults;
    const tests = results.flatMap((r) => r.assertionResults);
    return {
      passed: tests.filter((t) => t.status === 'passed').length,
      failed: tests.filter((t) => t.status === 'failed').length,
      messages: [...results.map((r) => r.message ?? '').filter(Boolean), ...tests.flatMap((t) => t.failureMessages)].map((m) => m.split('\n')[0]!),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The tests `vitest list` finds. The listing goes to a named file: a bare `--json` takes the next argument as its file. */
async function list(filters: string[]): Promise<Listed[]> {
  const dir = await mkdtemp(join(tmpdir(), 'qiao-test-list-'));
  try {
    const file = join(dir, 'list.json');
    const { code, stderr } = await vitest(['list', `--json=${file}`, ...filters]);
    if (code !== 0) throw new Error(`vitest list failed: ${stderr}`);
    return JSON.parse(await readFile(file, 'utf8')) as Listed[];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function main() {
  const args = process.argv.slice(2);
  const filesOnly = args.includes('--files-only');
  const filters = args.filter((a) => !a.startsWith('--'));
  const listed = await list(filters);
  const files = [...new Set(listed.map((t) => t.file))];
  const failures: string[] = [];
  const started = Date.now();
  let runs = 0;

  for (const file of files) {
    const name = relative(ROOT, file);
    const outcome = await run([name]);
    runs++;
    const expected = listed.filter((t) => t.file === file).length;
    console.log(`${outcome.failed || outcome.passed === 0 ? 'FAIL' : 'ok  '} file ${name} (${outcome.passed} passed, ${outcome.failed} failed of ${expected})`);
    if (outcome.failed || outcome.passed === 0) failures.push(`${name}: ${outcome.messages.join(' / ')}`);
  }
  if (!filesOnly) {
    for (const test of listed) {
      const file = relative(ROOT, test.file);
      // vitest matches -t against the full name: the describe blocks' names and the test's, joined by spaces.
      const pattern = `^${escape(test.name.split(' > ').join(' '))}$`;
      const outcome = await run([file, '-t', pattern]);
      runs++;
      // Exactly one test must have run: a pattern that matched none proves nothing.
      const alone = outcome.passed + outcome.failed === 1;
      const ok = alone && outcome.failed === 0;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${file} > ${test.name}${alone ? '' : ` (the pattern ran ${outcome.passed + outcome.failed} tests)`}`);
      if (!ok) failures.push(`${file} > ${test.name}: ${outcome.messages.join(' / ') || 'not run alone'}`);
    }
  }
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  console.log(`\n${runs} runs (${files.length} files${filesOnly ? '' : `, ${listed.length} tests`}) in ${minutes} min; ${failures.length} failed alone`);
  for (const f of failures) console.log(`  ${f}`);
  if (failures.length) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(`test:alone: ${(err as Error).message}`);
  process.exitCode = 2;
});
