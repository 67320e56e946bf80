import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevPki, type DevPki } from '../certs-dev/pki';
import { decryptResult } from '../proto/result-envelope';
import { ConfigError, loadAdapterPki, parseAdapterArgs } from './config';
import { LI } from './departments/demo-world/world';
import { checkHealth, connectDepartment, executeAll, signTestWarrant, warrantClaims } from './kit/testing';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const READY = /^adapter natural_resources listening on 127\.0\.0\.1:(\d+)$/;

let dir: string;
let pki: DevPki;
let child: ChildProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'qiao-adapter-main-'));
  pki = await ensureDevPki({ dir, departments: ['natural_resources'], units: ['150627'] });
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('adapters/main.ts', () => {
  it('starts as a process, prints its ready line, serves Li’s grassland contracts, and stops on SIGTERM', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'adapters/main.ts', '--department', 'natural_resources', '--port', '0', '--pki-dir', dir, '--served-log', path.join(dir, 'served.ndjson')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child!.stdout! }).once('line', resolve);
      child!.once('exit', (code) => reject(new Error(`adapter exited with ${code} before it was ready`)));
    });
    const port = Number(READY.exec(firstLine)?.[1]);
    expect(firstLine).toMatch(READY);

    const gateway = { ca: pki.caCert, ...pki.gatewayClient };
    expect(await checkHealth(port, 'natural_resources', gateway)).toBe('SERVING');
    const claims = warrantClaims({
      aud: 'natural_resources',
      subjects: [{ kind: 'person', id: LI.id }],
      categories: { grassland_contracts: ['village', 'area_mu', 'contracted_at'] },
      recipientKey: pki.units['150627']!.publicJwk,
      keyCertificate: pki.units['150627']!.keyCertificate,
    });
    const client = connectDepartment(port, 'natural_resources', gateway);
    const { frames, error } = await executeAll(client, await signTestWarrant(claims, pki.warrantKey.privateJwk, { authorityPrivateJwk: pki.directoryAuthority.privateJwk }));
    client.close();
    expect(error).toBeNull();
    const ciphertext = Buffer.concat(frames.filter((f) => f.chunk).map((f) => Buffer.from(f.chunk!)));
    const records = await decryptResult(ciphertext, pki.units['150627']!.privateJwk, { warrantId: claims.jti, department: 'natural_resources' });
    expect(records.map((r) => r.area_mu)).toEqual([356, 312.5, 298]);
    expect(Object.keys(records[0]!)).toEqual(['category', 'subject', 'village', 'area_mu', 'contracted_at']);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('adapter configuration', () => {
  it('parses arguments with defaults and refuses bad ones with a clear message', () => {
    expect(parseAdapterArgs(['--department', 'public_security', '--port', '7101'])).toEqual({
      department: 'public_security', host: '127.0.0.1', port: 7101, pkiDir: '.dev', revocationsMaxAge: 172800, metricsHost: '127.0.0.1',
    });
    expect(parseAdapterArgs(['--department', 'public_security', '--metrics-port', '9201'])).toMatchObject({ metricsHost: '127.0.0.1', metricsPort: 9201 });
    expect(() => parseAdapterArgs(['--department', 'public_security', '--metrics-port', 'x'])).toThrow(/--metrics-port/);
    expect(() => parseAdapterArgs([])).toThrow(/--department/);
    expect(() => parseAdapterArgs(['--department', 'Public Security'])).toThrow(/--department must be a snake_case/);
    expect(() => parseAdapterArgs(['--department', 'public_security', '--port', 'http'])).toThrow(/--port/);
  });

  it('fails fast naming the missing file and how to create it', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'qiao-no-pki-'));
    try {
      const error = await loadAdapterPki(empty, 'public_security').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/missing .*pki\/ca\.crt.*npm run pki:generate.*npm start/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('loads the certificates and the public warrant JWKS of a generated dev PKI', async () => {
    const loaded = await loadAdapterPki(dir, 'natural_resources');
    expect(loaded.ca).toBe(pki.caCert);
    expect(loaded.cert).toBe(pki.departments.natural_resources!.cert);
    expect(loaded.warrantKeys).toEqual(pki.warrantKey.publicJwks.keys);
  });
});
