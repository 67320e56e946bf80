import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevPki, type DevPki } from '../../certs-dev/pki';
import { departmentHostname } from '../../proto/identity';
import type { DataSource } from './data-source';
import { startAdapter, type RunningAdapter } from './server';
import { checkHealth, testAdapterOptions, connectDepartment, executeAll, issueClientCertificate, LEAGUE_APPROVAL_RULES, signTestWarrant, warrantClaims, type ClientTls } from './testing';

/**
 * What an operator next to the department sees: gRPC health that follows the data source, server
 * reflection, both behind the same mTLS as the Department service, and the operations listener
 * (/metrics, /ready) apart from the gRPC port.
 */

const DEPARTMENT = 'public_security';
let healthy = true;
const source: DataSource = {
  categories: { household: ['household_id', 'address'] },
  async lookup() {
    return [{ household_id: 'HH150627-106-0042', address: '木呼敦包村三社12号' }];
  },
  async health() {
    if (!healthy) throw new Error('connection to the household register refused');
  },
};

let dir: string;
let pki: DevPki;
let adapter: RunningAdapter;
let gateway: ClientTls;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'qiao-adapter-ops-'));
  pki = await ensureDevPki({ dir, departments: [DEPARTMENT], units: ['150627', '150600'] });
  adapter = await startAdapter({
    ...testAdapterOptions(pki, dir, DEPARTMENT, source),
    metrics: { port: 0 },
    healthIntervalMs: 50,
  });
  gateway = { ca: pki.caCert, ...pki.gatewayClient };
}, 60_000);

afterAll(async () => {
  await adapter?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The value of the sample `name` with exactly these labels in a text exposition; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.keys(got).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not happen within 10 s`);
}

/** grpc.reflection.v1 ListServices over mTLS with `tls`. */
function listServices(tls: ClientTls): Promise<string[]> {
  const require = createRequire(import.meta.url);
  const protoFile = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto');
  const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(protoFile, { keepCase: true })) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: new (address: string, creds: grpc.ChannelCredentials, options: object) => grpc.Client & { ServerReflectionInfo(): grpc.ClientDuplexStream<object, { list_services_response?: { service: { name: string }[] } }> } } } };
  };
  const credentials = tls.cert && tls.key ? grpc.credentials.createSsl(Buffer.from(tls.ca), Buffer.from(tls.key), Buffer.from(tls.cert)) : grpc.credentials.createSsl(Buffer.from(tls.ca));
  const client = new loaded.grpc.reflection.v1.ServerReflection(`127.0.0.1:${adapter.port}`, credentials, { 'grpc.ssl_target_name_override': departmentHostname(DEPARTMENT) });
  return new Promise((resolve, reject) => {
    const call = client.ServerReflectionInfo();
    call.on('data', (response) => {
      call.end();
      client.close();
      resolve((response.list_services_response?.service ?? []).map((s: { name: string }) => s.name).sort());
    });
    call.on('error', (error) => {
      client.close();
      reject(error);
    });
    call.write({ list_services: '' });
  });
}

describe('gRPC health and reflection', () => {
  it('lists the Department and Health services to a client with a certificate of the CA', async () => {
    expect(await listServices(gateway)).toEqual(['grpc.health.v1.Health', 'qiao.department.v1.Department']);
    // Any certificate of the federation's CA may look (an operator's probe), not only the gateway's.
    const probe = await issueClientCertificate(dir, 'ops.public_security');
    expect(await listServices({ ca: pki.caCert, ...probe })).toContain('qiao.department.v1.Department');
  });

  it('refuses health and reflection without a client certificate: the same mTLS as the Department service', async () => {
    await expect(listServices({ ca: pki.caCert })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('says NOT_SERVING (and /ready 503) while the data source fails its health check, SERVING again after', async () => {
    expect(await checkHealth(adapter.port, DEPARTMENT, gateway)).toBe('SERVING');
    expect((await fetch(`${adapter.metricsUrl}/ready`)).status).toBe(200);
    healthy = false;
    try {
      await until('NOT_SERVING', async () => (await checkHealth(adapter.port, DEPARTMENT, gateway)) === 'NOT_SERVING');
      expect(await checkHealth(adapter.port, DEPARTMENT, gateway, 'qiao.department.v1.Department')).toBe('NOT_SERVING');
      const ready = await fetch(`${adapter.metricsUrl}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'down', dataSource: 'down' });
      expect(sample(await (await fetch(`${adapter.metricsUrl}/metrics`)).text(), 'qiao_adapter_data_source_up', { department: DEPARTMENT })).toBe(0);
    } finally {
      healthy = true;
    }
    await until('SERVING', async () => (await checkHealth(adapter.port, DEPARTMENT, gateway)) === 'SERVING');
    expect(await (await fetch(`${adapter.metricsUrl}/ready`)).json()).toEqual({ status: 'ready', dataSource: 'up' });
  });
});

describe('metrics', () => {
  it('counts served and refused calls by outcome and code, bytes and records, with no warrant, inquiry or subject in the text', async () => {
    const subject = '150627196803120034';
    const client = connectDepartment(adapter.port, DEPARTMENT, gateway);
    const unit = pki.units['150627']!;
    const claims = warrantClaims({ aud: DEPARTMENT, subjects: [{ kind: 'person', id: subject }], categories: { household: ['household_id', 'address'] }, recipientKey: unit.publicJwk, keyCertificate: unit.keyCertificate });
    const served = await executeAll(client, await signTestWarrant(claims, pki.warrantKey.privateJwk, { authorityPrivateJwk: pki.directoryAuthority.privateJwk }));
    expect(served.error).toBeNull();
    const refused = await executeAll(client, 'not-a-warrant');
    client.close();
    expect(refused.error?.code).toBe(grpc.status.UNAUTHENTICATED);

    const res = await fetch(`${adapter.metricsUrl}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const d = { department: DEPARTMENT };
    expect(sample(text, 'qiao_adapter_calls_total', { ...d, outcome: 'refused', code: 'warrant_malformed' })).toBe(1);
    expect(sample(text, 'qiao_adapter_calls_total', { ...d, outcome: 'served', code: 'none' })).toBe(1);
    expect(sample(text, 'qiao_adapter_call_duration_seconds_count', { ...d, outcome: 'refused' })).toBe(1);
    expect(sample(text, 'qiao_adapter_served_records_total', d)).toBe(1);
    expect(sample(text, 'qiao_adapter_served_bytes_total', d)).toBeGreaterThan(0);
    expect(sample(text, 'process_cpu_seconds_total', d)).toBeGreaterThan(0);
    for (const secret of [subject, claims.jti, claims.inquiry_id]) expect(text).not.toContain(secret);
    // Only /metrics and /ready: the listener is not the gRPC port and serves nothing else.
    expect((await fetch(`${adapter.metricsUrl}/`)).status).toBe(404);
    expect(new URL(adapter.metricsUrl!).port).not.toBe(String(adapter.port));
  });
});
