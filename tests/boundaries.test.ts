import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  from: string;
  to: string;
  unresolvedTo?: string;
  rule: { name: string };
}
interface Cruise {
  violations: Violation[];
  rules: Map<string, string>;
}

/** Runs the dependency checker as CI does (`depcruise`, the repository's rules) over `dir`. */
function cruise(dir: string): Promise<Cruise> {
  const bin = join(ROOT, 'node_modules', '.bin', 'depcruise');
  return new Promise((resolve, reject) => {
    // It exits with the number of errors: a non-zero exit with a report on stdout is an answer, not a failure.
    execFile(bin, ['.', '--config', CONFIG, '--output-type', 'json'], { cwd: dir, maxBuffer: 64 * 1024 ** 2 }, (err, stdout, stderr) => {
      let result: { summary: { violations: Violation[]; ruleSetUsed: { forbidden: { name: string; comment: string }[] } } };
      try {
        result = JSON.parse(stdout);
      } catch {
        reject(new Error(`depcruise in ${dir} gave no report (${err?.message ?? 'no error'}): ${stderr}`));
        return;
      }
      const rules = new Map(result.summary.ruleSetUsed.forbidden.map((r) => [r.name, r.comment]));
      resolve({ violations: result.summary.violations, rules });
    });
  });
}

const line = (v: Violation) => `${v.rule.name}: ${v.from} → ${v.to}`;

describe('the boundaries between the sides', () => {
  it('hold in this repository: no import crosses a boundary', async () => {
    const { violations, rules } = await cruise(ROOT);
    expect(
      violations.map((v) => `${line(v)} — ${rules.get(v.rule.name)}`),
      'imports that cross a boundary (the rules are in .dependency-cruiser.cjs; `npm run check:boundaries` prints them)',
    ).toEqual([]);
  });

  describe('each rule, over a tree with one forbidden import per rule', () => {
    let dir: string;
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** file → its source; each import is a case, named by what it tests. */
    const tree: Record<string, string> = {
      'gateway/leaf.ts': 'export type Leaf = 1;\n',
      'adapters/leaf.ts': 'export type Leaf = 1;\n',
      'client/leaf.ts': 'export type Leaf = 1;\n',
      'tests/harness.ts': 'export type Leaf = 1;\n',
      'gateway/to-adapters.ts': "import type { Leaf } from '../adapters/leaf';\nexport type L = Leaf;\n",
      // A test file inside a side is that side's: it gets no pass.
      'gateway/to-adapters.test.ts': "import '../adapters/leaf';\n",
      'adapters/to-gateway.ts': "import type { Leaf } from '../gateway/leaf';\nexport type L = Leaf;\n",
      // `import type` is an import: a type of the gateway in the client is gateway code in the client.
      'client/to-gateway.ts': "import type { Leaf } from '../gateway/leaf';\nexport type L = Leaf;\n",
      'client/to-adapters.ts': "export const load = () => import('../adapters/leaf');\n",
      'gateway/to-client.ts': "export * from '../client/leaf';\n",
      'proto/to-side.ts': "import '../gateway/leaf';\n",
      'proto/uses-node.ts': "import { createHash } from 'node:crypto';\nexport const h = createHash;\n",
      'proto/uses-grpc.ts': "import * as grpc from '@grpc/grpc-js';\nexport const g = grpc;\n",
      'proto/grpc/service.ts': "import * as grpc from '@grpc/grpc-js';\nimport { readFileSync } from 'node:fs';\nexport const g = [grpc, readFileSync];\n",
      'proto/node/primitives.ts': "import { createHash } from 'node:crypto';\nexport const h = createHash;\n",
      // The code a browser loads takes the Node-only parts as parameters; the Node sides import them.
      'proto/to-node-part.ts': "import './node/primitives';\n",
      'client/core/to-node-part.ts': "import '../../proto/grpc/service';\n",
      'client/cli/to-node-part.ts': "import '../../proto/node/primitives';\n",
      'proto/vectors.test.ts': "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
      'client/core/uses-node.ts': "import { readFile } from 'node:fs/promises';\nexport const r = readFile;\n",
      'client/cli/uses-node.ts': "import { readFile } from 'node:fs/promises';\nimport '../core/leaf';\nexport const r = readFile;\n",
      'client/core/leaf.ts': 'export type Leaf = 1;\n',
      'gateway/routes/inquiries/index.ts': "import 'drizzle-orm';\nimport 'pg';\nimport '@electric-sql/pglite';\nimport '@grpc/grpc-js';\nimport '../../services/store';\n",
      // A route's test reads what the route wrote: it may use drizzle, the route may not.
      'gateway/routes/inquiries/index.test.ts': "import 'drizzle-orm';\nimport './index';\n",
      'gateway/services/store.ts': "import 'drizzle-orm';\nimport '@grpc/grpc-js';\n",
      'certs-dev/to-gateway.ts': "import '../gateway/leaf';\nimport '../demo/units';\n",
      'demo/units.ts': 'export const UNITS = [];\n',
      'demo/to-side.ts': "import '../client/leaf';\n",
      'scripts/to-side.ts': "import '../adapters/leaf';\nimport '../demo/units';\n",
      'gateway/to-tests.ts': "import '../tests/harness';\n",
      'tests/whole.test.ts': "import '../gateway/leaf';\nimport '../adapters/leaf';\nimport '../client/leaf';\nimport './harness';\n",
      'bench/run.ts': "import '../gateway/leaf';\nimport '../adapters/leaf';\nimport '../client/leaf';\n",
      'gateway/cycle-a.ts': "import { b } from './cycle-b';\nexport const a = () => b;\n",
      'gateway/cycle-b.ts': "import { a } from './cycle-a';\nexport const b = () => a;\n",
      'gateway/typo.ts': "import './lea';\n",
      // The packages the rules name, installed as in the repository (node_modules/<name>/), so
      // they resolve to the same paths the rules match there.
      ...Object.fromEntries(
        ['drizzle-orm', 'pg', '@electric-sql/pglite', '@grpc/grpc-js'].flatMap((name) => [
          [`node_modules/${name}/package.json`, JSON.stringify({ name, version: '1.0.0', main: 'index.js' })],
          [`node_modules/${name}/index.js`, 'module.exports = {};\n'],
        ]),
      ),
    };

    it('reports exactly the forbidden imports, each with the name of its rule', async () => {
      dir = await mkdtemp(join(tmpdir(), 'qiao-boundaries-'));
      for (const [file, source] of Object.entries(tree)) {
        await mkdir(dirname(join(dir, file)), { recursive: true });
        await writeFile(join(dir, file), source);
      }

      const { violations, rules } = await cruise(dir);
      const reported = violations.map((v) => `${v.rule.name}: ${v.from} → ${v.unresolvedTo ?? v.to}`).sort();
      expect(reported).toEqual(
        [
          'gateway-not-to-adapters: gateway/to-adapters.ts → ../adapters/leaf',
          'gateway-not-to-adapters: gateway/to-adapters.test.ts → ../adapters/leaf',
          'adapters-not-to-gateway: adapters/to-gateway.ts → ../gateway/leaf',
          'client-not-to-gateway: client/to-gateway.ts → ../gateway/leaf',
          'client-not-to-adapters: client/to-adapters.ts → ../adapters/leaf',
          'gateway-not-to-client: gateway/to-client.ts → ../client/leaf',
          'proto-not-to-sides: proto/to-side.ts → ../gateway/leaf',
          'proto-not-to-node-builtins: proto/uses-node.ts → crypto',
          'browser-code-not-to-node-only-proto: proto/to-node-part.ts → ./node/primitives',
          'browser-code-not-to-node-only-proto: client/core/to-node-part.ts → ../../proto/grpc/service',
          'proto-not-to-grpc: proto/uses-grpc.ts → @grpc/grpc-js',
          'client-core-not-to-node-builtins: client/core/uses-node.ts → fs/promises',
          'routes-not-to-drivers: gateway/routes/inquiries/index.ts → drizzle-orm',
          'routes-not-to-drivers: gateway/routes/inquiries/index.ts → pg',
          'routes-not-to-drivers: gateway/routes/inquiries/index.ts → @electric-sql/pglite',
          'routes-not-to-drivers: gateway/routes/inquiries/index.ts → @grpc/grpc-js',
          'certs-dev-not-to-gateway: certs-dev/to-gateway.ts → ../gateway/leaf',
          'demo-not-to-sides: demo/to-side.ts → ../client/leaf',
          'launcher-not-to-sides: scripts/to-side.ts → ../adapters/leaf',
          'not-to-tests: gateway/to-tests.ts → ../tests/harness',
          'no-circular: gateway/cycle-a.ts → ./cycle-b',
          'not-to-unresolvable: gateway/typo.ts → ./lea',
        ].sort(),
      );
      // Every rule of the configuration was shown to bite, and each says why it exists.
      expect([...new Set(violations.map((v) => v.rule.name))].sort()).toEqual([...rules.keys()].sort());
      for (const [name, comment] of rules) expect(comment, name).toMatch(/\w{4,}.*\w{4,}/);
    });
  });
});
