import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { build, transform, type Metafile, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * The contract's formats (proto/, but for the gRPC part in proto/grpc/) and the requesting unit's
 * shared code (client/core/) must run in a browser: the web console imports them. Each module is
 * bundled for the browser as the console's build would, and the test fails naming the module and
 * the import chain that pulls in a Node built-in, or the module of ours that uses a Node global.
 */

const ROOT = resolve(import.meta.dirname, '..');
const NODE_BUILTIN = new RegExp(`^(node:.*|${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})(\\/.*)?$`);
// Node's globals that a browser does not have. esbuild's `define` replaces only real references to
// an unbound global (not a word in a string or a comment, not a property or a local of that name),
// so what it marks is a use.
const NODE_GLOBALS = ['Buffer', 'process', '__dirname', '__filename', 'require', 'setImmediate'];
const MARK = (name: string) => `__node_global_${name}__`;
const MARKED = /__node_global_(\w+?)__/;

/** The format and client modules that must stay browser-safe: every non-test .ts file in these folders (not their subfolders). */
function browserModules(): string[] {
  return ['proto', 'client/core'].flatMap((dir) =>
    readdirSync(join(ROOT, dir), { withFileTypes: true })
      .filter((f) => f.isFile() && f.name.endsWith('.ts') && !f.name.endsWith('.test.ts'))
      .map((f) => `${dir}/${f.name}`),
  );
}

interface NodeDependency {
  builtin: string;
  /** From the entry to the module that imports the built-in. */
  chain: string[];
}

/** Bundles `entry` for the browser; returns every Node built-in it pulls in, with the import chain, and our modules that use Node globals. */
async function findNodeDependencies(entry: { path: string } | { contents: string; resolveDir: string }): Promise<{ builtins: NodeDependency[]; globals: { module: string; uses: string }[] }> {
  // esbuild names a stdin entry after its sourcefile, relative to the working directory.
  const start = 'path' in entry ? entry.path : relative(ROOT, join(entry.resolveDir, '<entry>'));
  const found: { builtin: string; importer: string }[] = [];
  const recordBuiltins: Plugin = {
    name: 'record-node-builtins',
    setup(b) {
      // Kept external so the bundle completes and every offending import is seen, not just the first.
      b.onResolve({ filter: NODE_BUILTIN }, (args) => {
        found.push({ builtin: args.path, importer: args.importer === '<stdin>' ? start : relative(ROOT, args.importer) });
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    ...('path' in entry ? { entryPoints: [join(ROOT, entry.path)] } : { stdin: { contents: entry.contents, resolveDir: entry.resolveDir, loader: 'ts', sourcefile: '<entry>' } }),
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [recordBuiltins],
  });
  const graph = result.metafile;
  // A package as `node_modules/…` even where node_modules is a link to another folder (a git
  // worktree sharing a clone's), which esbuild names by its real path (`../main/node_modules/…`).
  const shown = (path: string) => path.replace(/^(?:\.\.\/)+(?:.*?\/)?node_modules\//, 'node_modules/');
  const builtins = found.map(({ builtin, importer }) => ({ builtin, chain: importChain(graph, start, importer).map(shown) }));
  const globals: { module: string; uses: string }[] = [];
  for (const input of Object.keys(graph.inputs)) {
    if (input.includes('node_modules/') || !(input.endsWith('.ts') || input === start)) continue;
    const source = input === start && 'contents' in entry ? entry.contents : readFileSync(join(ROOT, input), 'utf8');
    const { code } = await transform(source, { loader: 'ts', define: Object.fromEntries(NODE_GLOBALS.map((g) => [g, MARK(g)])) });
    const use = MARKED.exec(code);
    if (use) globals.push({ module: input, uses: use[1]! });
  }
  return { builtins, globals };
}

/** The shortest import path from `from` to `to` in the bundle's module graph. */
function importChain(graph: Metafile, from: string, to: string): string[] {
  const previous = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  while (queue.length) {
    const at = queue.shift()!;
    if (at === to) break;
    for (const { path } of graph.inputs[at]?.imports ?? []) {
      if (previous.has(path)) continue;
      previous.set(path, at);
      queue.push(path);
    }
  }
  const chain: string[] = [];
  for (let at: string | null | undefined = to; at; at = previous.get(at)) chain.unshift(at);
  return chain;
}

describe('proto/ and client/core/ bundle for the browser', () => {
  it('the check finds a built-in pulled in through another module, and a Node global', async () => {
    const { builtins, globals } = await findNodeDependencies({
      contents: "import './grpc/department'; export const b = Buffer.from('x'); export const s = 'the process answers';",
      resolveDir: join(ROOT, 'proto'),
    });
    expect(builtins).toContainEqual({ builtin: 'node:url', chain: ['proto/<entry>', 'proto/grpc/department.ts'] });
    expect(builtins).toContainEqual({ builtin: 'http2', chain: expect.arrayContaining(['proto/<entry>', 'proto/grpc/department.ts', 'node_modules/@grpc/grpc-js/build/src/index.js']) });
    // The Buffer is used; "process" in the string is only a word.
    expect(globals).toEqual([{ module: 'proto/<entry>', uses: 'Buffer' }]);
  });

  it('covers every format module and the client core', () => {
    const modules = browserModules();
    for (const m of ['proto/result-envelope.ts', 'proto/checkpoint.ts', 'proto/merkle.ts', 'proto/warrant.ts', 'client/core/results.ts', 'client/core/audit-verify.ts']) {
      expect(modules).toContain(m);
    }
  });

  for (const module of browserModules()) {
    it(`${module} pulls in no Node built-in and uses no Node global`, async () => {
      const { builtins, globals } = await findNodeDependencies({ path: module });
      const problems = [
        ...builtins.map((d) => `${d.chain.at(-1)} imports ${d.builtin} (${d.chain.join(' → ')})`),
        ...globals.map((g) => `${g.module} uses the Node global ${g.uses}`),
      ];
      expect(problems, `${module} does not run in a browser; move Node-only code out of proto/ and client/core/ or take it as a parameter`).toEqual([]);
    });
  }
});
