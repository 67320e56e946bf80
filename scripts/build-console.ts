/**
 * Builds the web console (client/console/app/main.tsx) with esbuild into `.build/console/`:
 * `index.html`, `assets/main-<hash>.js` and `assets/main-<hash>.css`, every asset local (no CDN,
 * no external font), and `hashes.json` — the SHA-256 of every file, what a unit publishes so
 * that anyone can check the console it serves is the one it built. `npm run build:console`;
 * also run by `npm start`. The build is bundled by path: scripts/ imports no side.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');
export const CONSOLE_ENTRY = 'client/console/app/main.tsx';
export const CONSOLE_HTML = 'client/console/index.html';
export const CONSOLE_BUILD_DIR = '.build/console';

export interface ConsoleBuild {
  dir: string;
  /** Bytes of each file, relative to `dir`. */
  files: Record<string, { bytes: number; sha256: string }>;
  /** Every source file in the bundle (entry and chunks), relative to the repository, with the bytes it adds. */
  inputs: Record<string, number>;
  ms: number;
}

/**
 * zod's namespace object (`z`, as proto/ imports it) re-exports every locale's messages, so no
 * bundler can drop them: about 250 KB of the script for messages in 40 languages the console
 * never shows (the contract's own messages are English, zod's default). Only English is kept.
 */
const zodEnglishOnly: import('esbuild').Plugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[/\\]node_modules[/\\]zod[/\\]v4[/\\](classic|core)$/.test(args.resolveDir) ? { path: join(args.resolveDir, '../locales/en.js'), namespace: 'zod-locales' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: "export { default as en } from './en.js';", resolveDir: dirname(args.path), loader: 'js' }));
  },
};

/**
 * The comparison models (models/*.sql) as the module `qiao:models`: their texts, built into the
 * comparison chunk, which loads only when someone compares. A changed model needs a rebuild.
 */
function modelsPlugin(root: string): import('esbuild').Plugin {
  return {
    name: 'qiao-models',
    setup(build) {
      build.onResolve({ filter: /^qiao:models$/ }, () => ({ path: 'models', namespace: 'qiao-models' }));
      build.onLoad({ filter: /.*/, namespace: 'qiao-models' }, async () => {
        const dir = join(root, 'models');
        const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
        const models = await Promise.all(files.map(async (f) => ({ source: `models/${f}`, text: await readFile(join(dir, f), 'utf8') })));
        return { contents: `export default ${JSON.stringify(models)};`, loader: 'js', watchFiles: files.map((f) => join(dir, f)) };
      });
    },
  };
}

/**
 * duckdb-wasm's engine (the exception-handling build: every browser the console targets has
 * WebAssembly exceptions) and its worker, copied next to the bundle under hashed names: served
 * from the unit's own origin, never a CDN. Fetched only when someone compares.
 */
const DUCKDB_FILES = { wasm: 'duckdb-eh.wasm', worker: 'duckdb-browser-eh.worker.js' } as const;

async function copyDuckdb(root: string, outDir: string): Promise<Record<keyof typeof DUCKDB_FILES, string>> {
  const dist = join(root, 'node_modules/@duckdb/duckdb-wasm/dist');
  const out = {} as Record<keyof typeof DUCKDB_FILES, string>;
  for (const [key, file] of Object.entries(DUCKDB_FILES) as [keyof typeof DUCKDB_FILES, string][]) {
    const bytes = await readFile(join(dist, file));
    const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 10).toUpperCase();
    const name = file.replace(/(\.worker)?\.(wasm|js)$/, (m) => `-${hash}${m}`);
    await writeFile(join(outDir, 'assets', name), bytes);
    out[key] = `/assets/${name}`;
  }
  return out;
}

export async function buildConsole(root = ROOT, outDir = join(root, CONSOLE_BUILD_DIR)): Promise<ConsoleBuild> {
  const started = Date.now();
  const esbuild = await import('esbuild');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(join(outDir, 'assets'), { recursive: true });
  const duckdb = await copyDuckdb(root, outDir);
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [join(root, CONSOLE_ENTRY)],
    outdir: join(outDir, 'assets'),
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    bundle: true,
    // The login page loads the entry alone; the rest of the console is a chunk loaded after login.
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox120', 'safari17'],
    minify: true,
    sourcemap: false,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"', QIAO_DUCKDB_WASM: JSON.stringify(duckdb.wasm), QIAO_DUCKDB_WORKER: JSON.stringify(duckdb.worker) },
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
    tsconfig: join(root, 'client/console/tsconfig.json'),
    plugins: [zodEnglishOnly, modelsPlugin(root)],
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => resolve(root, p));
  const js = outputs.find((p) => /[/\\]main-[^/\\]+\.js$/.test(p));
  const css = outputs.find((p) => p.endsWith('.css'));
  if (!js) throw new Error('the console build produced no JavaScript');
  // The chunks the entry imports statically are fetched with it, not after it has been parsed.
  const preloads = (result.metafile.outputs[relative(root, js)]?.imports ?? []).filter((i) => i.kind === 'import-statement').map((i) => `<link rel="modulepreload" href="/assets/${basename(i.path)}">`);
  const template = await readFile(join(root, CONSOLE_HTML), 'utf8');
  const html = template
    .replace('<!-- styles -->', css ? `<link rel="stylesheet" href="/assets/${basename(css)}">` : '')
    .replace('<!-- script -->', [...preloads, `<script type="module" src="/assets/${basename(js)}"></script>`].join('\n'));
  await writeFile(join(outDir, 'index.html'), html);

  const files: ConsoleBuild['files'] = {};
  for (const file of [join(outDir, 'index.html'), ...outputs, ...Object.values(duckdb).map((p) => join(outDir, p))]) {
    const bytes = await readFile(file);
    files[relative(outDir, file)] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  await writeFile(join(outDir, 'hashes.json'), `${JSON.stringify(files, null, 2)}\n`);
  const inputs: Record<string, number> = {};
  for (const output of Object.values(result.metafile.outputs)) for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) inputs[path] = (inputs[path] ?? 0) + bytesInOutput;
  return { dir: outDir, files, inputs, ms: Date.now() - started };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  buildConsole().then(
    (b) => {
      for (const [file, { bytes, sha256 }] of Object.entries(b.files)) console.log(`${file.padEnd(32)} ${String(bytes).padStart(9)} B  sha256 ${sha256}`);
      console.log(`web console built in ${b.ms} ms: ${relative(process.cwd(), b.dir)}/`);
    },
    (err: Error) => {
      console.error(`build:console: ${err.message}`);
      process.exit(1);
    },
  );
}
