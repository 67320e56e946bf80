/**
 * Builds the `qiao` command line (client/cli/main.ts) into JavaScript with esbuild, so that a run
 * starts without transpiling TypeScript. `npm run build:cli`; also run at install (`prepare`), by
 * `npm start`, and by `./qiao` when a file the build read is newer than the build.
 *
 * Layout: `.build/qiao` is a symbolic link to `.build/cli-<time>-<pid>/`, which holds `main.mjs`,
 * the chunks that only some commands load (`import()` in main.ts: result decryption, the
 * progress bar, the audit verifier) and `inputs`, the files the build read, one per line, relative
 * to the repository — what `./qiao` compares with `main.mjs` to know the build is current.
 * Each build goes to a new folder and the link is swapped in one rename, so a command that is
 * running keeps the chunks of the build it started with, and two builds at once cannot mix.
 */
import { lstat, mkdir, readdir, readlink, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');
export const CLI_ENTRY = 'client/cli/main.ts';
export const CLI_BUILD_LINK = '.build/qiao';

/** Besides the sources: what changes the build without changing a source. */
const BUILD_INPUTS = ['package.json', 'tsconfig.json', 'scripts/build-cli.ts', 'node_modules/.package-lock.json'];

/**
 * Runs before the bundled code. Bundled CommonJS packages (commander, cli-progress) call require()
 * for Node's modules, and an ES module has none of its own.
 */
const BANNER = [
  "import { createRequire as __qiaoCreateRequire } from 'node:module';",
  'const require = __qiaoCreateRequire(import.meta.url);',
].join(' ');

/** Builds older than this are removed by the next build unless current or just replaced. */
const KEEP_OLD_BUILDS_MS = 60_000;

export interface CliBuild {
  /** The folder of this build (what `.build/qiao` now points to). */
  dir: string;
  /** The entry point: `node <main>` runs the command line. */
  main: string;
  bytes: number;
  ms: number;
}

export async function buildCli(root = ROOT): Promise<CliBuild> {
  const started = Date.now();
  // Loaded here so that importing this module costs nothing. (tsx runs on esbuild, so wherever
  // tsx is installed — also without development dependencies — esbuild is.)
  const esbuild = await import('esbuild');
  const buildRoot = join(root, '.build');
  const dir = join(buildRoot, `cli-${started}-${process.pid}`);
  await mkdir(buildRoot, { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { main: CLI_ENTRY },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    // node_modules packages are bundled too: one file to read instead of resolving a hundred
    // (measured in README.md, "Command line start-up").
    splitting: true,
    // DuckDB is a native addon (a .node file esbuild cannot bundle): loaded from node_modules, and only by `qiao compare`.
    external: ['@duckdb/*'],
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    banner: { js: BANNER },
  });

  const inputs = Object.keys(result.metafile.inputs).filter((file) => !file.startsWith('node_modules/'));
  for (const file of BUILD_INPUTS) if (await exists(join(root, file))) inputs.push(file);
  await writeFile(join(dir, 'inputs'), `${inputs.join('\n')}\n`);
  const main = join(dir, 'main.mjs');
  // The build is as old as its start: a source saved while esbuild ran is newer, and ./qiao rebuilds.
  await utimes(main, started / 1000, started / 1000);

  const link = join(root, CLI_BUILD_LINK);
  const previous = await readlink(link).catch(() => null);
  const next = `${link}.${process.pid}.tmp`;
  await rm(next, { force: true });
  await symlink(relative(buildRoot, dir), next);
  // A folder left where the link goes (an interrupted older layout) cannot be renamed over.
  if ((await lstat(link).catch(() => null))?.isDirectory()) await rm(link, { recursive: true, force: true });
  await rename(next, link);
  await removeOldBuilds(buildRoot, [relative(buildRoot, dir), previous]);

  const bytes = Object.entries(result.metafile.outputs).reduce((sum, [file, o]) => sum + (file.endsWith('.map') ? 0 : o.bytes), 0);
  return { dir, main, bytes, ms: Date.now() - started };
}

async function removeOldBuilds(buildRoot: string, keep: (string | null)[]): Promise<void> {
  for (const name of await readdir(buildRoot)) {
    if (!name.startsWith('cli-') || keep.includes(name)) continue;
    const dir = join(buildRoot, name);
    const { mtimeMs } = await stat(dir).catch(() => ({ mtimeMs: Date.now() }));
    // Young folders may belong to a build running right now in another process.
    if (Date.now() - mtimeMs > KEEP_OLD_BUILDS_MS) await rm(dir, { recursive: true, force: true });
  }
}

function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  buildCli().then(
    (b) => console.log(`qiao command line built: ${relative(ROOT, b.main)} (${(b.bytes / 1024).toFixed(0)} KiB of JavaScript, ${b.ms} ms)`),
    (err: Error) => {
      console.error(`qiao: building the command line failed: ${err.message}`);
      process.exitCode = 1;
    },
  );
}
