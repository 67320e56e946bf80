import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootFederation, type Federation } from './harness/federation';
import { freePort } from './harness/ports';

/**
 * The demo on HTTPS as `QIAO_HTTPS=1 npm start` runs it: the gateway serves HTTPS with the dev
 * PKI's server certificate; a department adapter, as its own process, fetches the gateway's JWKS
 * over it trusting the dev CA (NODE_EXTRA_CA_CERTS, as the launcher passes it); the command line
 * (`./qiao`, the client core inside) submits, approves and decrypts over it with QIAO_CA_FILE.
 */
const ROOT = resolve(import.meta.dirname, '..');
const LI = '150627196803120034';

let fed: Federation;
let adapter: ChildProcess;
const adapterLines: string[] = [];
let caFile: string;

/** Starts public_security's adapter as `npm start` does and resolves with its port. */
async function startAdapterProcess(pkiDir: string, jwksUrl: string): Promise<number> {
  adapter = spawn(
    process.execPath,
    ['--import', 'tsx', 'adapters/main.ts', '--department', 'public_security', '--port', '0', '--pki-dir', pkiDir, '--gateway-jwks-url', jwksUrl, '--served-log', join(pkiDir, 'served-ps.ndjson')],
    { cwd: ROOT, env: { ...process.env, NODE_EXTRA_CA_CERTS: join(pkiDir, 'pki', 'ca.crt') }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  createInterface({ input: adapter.stderr! }).on('line', (line) => adapterLines.push(line));
  for await (const line of createInterface({ input: adapter.stdout! })) {
    const m = /listening on \S+:(\d+)/.exec(line);
    if (m) return Number(m[1]);
  }
  throw new Error(`the adapter exited before it was ready:\n${adapterLines.join('\n')}`);
}

function qiao(as: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(join(ROOT, 'qiao'), ['--gateway', fed.gateway.url, '--as', as, '--pki-dir', fed.pki.dir, '--state-dir', join(fed.pki.dir, 'cli-state'), ...args], {
    env: { ...process.env, QIAO_CA_FILE: caFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((ok) => child.once('exit', (code) => ok({ code, stdout, stderr })));
}

beforeAll(async () => {
  const port = await freePort();
  fed = await bootFederation({
    beforeGateway: async (pki) => {
      caFile = join(pki.dir, 'pki', 'ca.crt');
      const adapterPort = await startAdapterProcess(pki.dir, `https://127.0.0.1:${port}/.well-known/jwks.json`);
      return {
        QIAO_HTTP_PORT: String(port),
        QIAO_TLS_CERT_FILE: join(pki.dir, 'pki', 'gateway-server.crt'),
        QIAO_TLS_KEY_FILE: join(pki.dir, 'pki', 'gateway-server.key'),
        QIAO_DEPARTMENTS: `public_security=127.0.0.1:${adapterPort}`,
      };
    },
  });
}, 240_000);
afterAll(async () => {
  if (adapter && adapter.exitCode === null) {
    adapter.kill('SIGTERM');
    await once(adapter, 'exit');
  }
  await fed?.close();
});

describe('the gateway on HTTPS', () => {
  it('serves HTTPS only to clients that trust the dev CA: the command line gets a token over it', async () => {
    expect(fed.gateway.url).toBe(`https://127.0.0.1:${new URL(fed.gateway.url).port}`);
    // This test process does not trust the dev CA: its plain fetch must refuse the certificate.
    const untrusted = await fetch(`${fed.gateway.url}/health`).catch((e: Error) => e);
    expect(untrusted).toBeInstanceOf(Error);
    expect(String((untrusted as Error & { cause?: { code?: string } }).cause?.code)).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
    const plain = await fetch(fed.gateway.url.replace('https:', 'http:') + '/health').catch((e: Error) => e);
    expect(plain instanceof Error || plain.status >= 400).toBe(true);

    // The command line's `curl`-like path: a token, then a request, over HTTPS trusting the CA.
    const token = await qiao('inv.ejinhoro', 'token', 'inv.ejinhoro');
    expect(token.stderr).toBe('');
    expect(token.stdout.trim()).toMatch(/^eyJ/);
  }, 60_000);

  it("runs Li's inquiry end to end over it: the command line submits, approves and decrypts; the department fetched the gateway's JWKS over HTTPS", async () => {
    const submitted = await qiao('inv.ejinhoro', 'submit', '--subject', LI, '--category', 'household', 'household_members', '--case', 'EJH-2019-031', '--basis', 'Supervision Law art. 18', '--purpose', 'verify');
    expect(submitted.stderr).toBe('');
    const id = /inquiry (\S+) submitted/.exec(submitted.stdout)![1]!;
    const approved = await qiao('appr.ordos', 'approve', id, '--comment', 'approved for case EJH-2019-031');
    expect(approved.stdout).toContain('approved; status: running');
    await fed.drain();
    const results = await qiao('inv.ejinhoro', 'results', id, '--format', 'ndjson');
    expect(results.code).toBe(0);
    const records = results.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    // Both sons moved back into Li's household on 2017-03-15.
    expect(records.filter((r) => r.joined_at === '2017-03-15')).toHaveLength(2);

    // The warrant verified against keys fetched from https://…/.well-known/jwks.json, not the pinned file.
    const logged = adapterLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.find((l) => l.msg === 'gateway warrant keys fetched')).toMatchObject({ jwksUrl: `${fed.gateway.url}/.well-known/jwks.json` });
    expect(logged.filter((l) => l.msg === 'cannot fetch the gateway JWKS; using the keys already known')).toEqual([]);
    expect(logged.find((l) => l.msg === 'warrant served')).toMatchObject({ department: 'public_security', jti: expect.any(String), traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });
  }, 120_000);

  it('sends HSTS on HTTPS answers', async () => {
    // Through the command line's trust: the CA file, read by a node process started with it.
    const probe = spawn(process.execPath, ['-e', `fetch(${JSON.stringify(`${fed.gateway.url}/health`)}).then((r) => console.log(JSON.stringify(Object.fromEntries(r.headers))))`], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    probe.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    await once(probe, 'exit');
    const headers = JSON.parse(out) as Record<string, string>;
    expect(headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'SAMEORIGIN' });
  }, 60_000);
});

describe('plain HTTP off loopback', () => {
  it('is refused at start, saying what to set', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, QIAO_MODE: 'production', QIAO_HTTP_HOST: '0.0.0.0', QIAO_TOKEN_ISSUER: 'https://id.example', QIAO_TOKEN_JWKS_URL: 'https://id.example/jwks', QIAO_DEPARTMENTS: 'public_security=10.0.0.1:7101' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(stderr).toContain('QIAO_HTTP_HOST: 0.0.0.0 is not a loopback address, and the gateway refuses to serve plain HTTP there');
    expect(stderr).toContain('set QIAO_TLS_CERT_FILE and QIAO_TLS_KEY_FILE to serve HTTPS, or QIAO_BEHIND_TLS_PROXY=true');
  }, 60_000);
});
