import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole, type ConsoleBuild } from '../scripts/build-console';

/**
 * What the web console's bundle is made of, read from the build itself (the dependency checker
 * cannot parse JSX): only the console, client/core, the browser-safe contract and libraries —
 * no gateway or adapter code, nothing Node-only — and within its size budget (README).
 */
export const MAIN_SCRIPT_BUDGET_GZIP = 120 * 1024;

let dir: string;
let build: ConsoleBuild;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qiao-console-bundle-'));
  build = await buildConsole(resolve(import.meta.dirname, '..'), dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the web console bundle', () => {
  it('holds no code of the gateway, the adapters, the command line or the Node-only contract', () => {
    const ours = Object.keys(build.inputs).filter((p) => !p.startsWith('node_modules/'));
    expect(ours.some((p) => p.startsWith('client/console/app/'))).toBe(true);
    expect(ours.filter((p) => /^(gateway|adapters|client\/cli|certs-dev|scripts)\/|^proto\/(grpc|node)\//.test(p))).toEqual([]);
    // The catalogue is the gateway's live one (GET /v1/catalogue), not a copy of policies/ built in.
    expect(ours.filter((p) => p.startsWith('policies/'))).toEqual([]);
    const packages = Object.keys(build.inputs).filter((p) => /node_modules\/(@grpc|pg|@electric-sql|drizzle-orm|hono|pino|node-forge)\//.test(p));
    expect(packages).toEqual([]);
  });

  it('loads its script and style sheet from its own origin only, with no inline script', async () => {
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![1]).toMatch(/ src="\/assets\/main-[A-Z0-9]+\.js"/);
    // Everything else the page links is a style sheet or a module of the same origin.
    for (const [, href] of html.matchAll(/<link [^>]*href="([^"]+)"/g)) expect(href).toMatch(/^\/assets\/(main|chunk)-[A-Z0-9]+\.(js|css)$/);
    expect(scripts[0]![2]).toBe('');
    expect(html).not.toMatch(/https?:\/\//);
    const hashes = JSON.parse(await readFile(join(dir, 'hashes.json'), 'utf8')) as Record<string, { sha256: string }>;
    expect(Object.keys(hashes).sort()).toEqual(Object.keys(build.files).sort());
  });

  it('keeps the script of the first page (the entry and the chunks it imports) within its budget', async () => {
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    const first = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    expect(first.some((f) => /^assets\/main-/.test(f))).toBe(true);
    let gzipped = 0;
    for (const f of first) {
      const script = await readFile(join(dir, f));
      gzipped += gzipSync(script, { level: 9 }).length;
      // The comparison engine (duckdb-wasm's client, with this message) loads when someone compares, never with the first page.
      expect(script.includes('error in duckdb worker'), f).toBe(false);
    }
    expect(gzipped).toBeLessThan(MAIN_SCRIPT_BUDGET_GZIP);
  });

  it('serves the comparison engine (duckdb-wasm) from its own assets, hashed like the rest', () => {
    const engine = Object.keys(build.files).filter((f) => f.includes('duckdb')).sort();
    expect(engine).toEqual([expect.stringMatching(/^assets\/duckdb-browser-eh-[A-F0-9]{10}\.worker\.js$/), expect.stringMatching(/^assets\/duckdb-eh-[A-F0-9]{10}\.wasm$/)]);
    expect(Object.keys(build.inputs).some((p) => p.includes('node_modules/@duckdb/duckdb-wasm/'))).toBe(true);
    // …in a chunk of its own (the check above looks for the right thing).
    expect(Object.keys(build.files).filter((f) => f.endsWith('.js') && readFileSync(join(dir, f), 'utf8').includes('error in duckdb worker')).length).toBe(1);
  });
});
