import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevPki, type DevPki } from '../../certs-dev/pki';
import type { ResultFrame } from '../../proto/grpc/department';
import { departmentHostname, GATEWAY_IDENTITY } from '../../proto/identity';
import { DepartmentCallError, type DepartmentClient } from './client';
import { checkDepartmentIdentity, createGrpcDepartmentClient, createGrpcDepartmentDirectory } from './grpc-client';
import { startTestDepartment, type TestDepartment } from './test-department';
import { describeCallFailure } from '../fanout/process';

let dirs: string[] = [];
let pki: DevPki;
/** A second, unrelated dev PKI: its certificates chain to another CA. */
let otherPki: DevPki;

beforeAll(async () => {
  dirs = [await mkdtemp(path.join(tmpdir(), 'qiao-grpc-')), await mkdtemp(path.join(tmpdir(), 'qiao-grpc-other-'))];
  [pki, otherPki] = await Promise.all([
    ensureDevPki({ dir: dirs[0]!, departments: ['public_security', 'natural_resources'], units: [] }),
    ensureDevPki({ dir: dirs[1]!, departments: ['public_security'], units: [] }),
  ]);
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const servers: TestDepartment[] = [];
const clients: DepartmentClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function startDepartment(options: Parameters<typeof startTestDepartment>[0]): Promise<TestDepartment> {
  const department = await startTestDepartment(options);
  servers.push(department);
  return department;
}

function gatewayClient(department: string, port: number): DepartmentClient {
  const client = createGrpcDepartmentClient({
    department,
    port,
    tls: { ca: pki.caCert, cert: pki.gatewayClient.cert, key: pki.gatewayClient.key },
  });
  clients.push(client);
  return client;
}

async function collect(frames: AsyncIterable<ResultFrame>): Promise<ResultFrame[]> {
  const out: ResultFrame[] = [];
  for await (const f of frames) out.push(f);
  return out;
}

const soon = (ms = 5000) => new Date(Date.now() + ms);

async function callError(promise: Promise<unknown>): Promise<DepartmentCallError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DepartmentCallError);
  return err as DepartmentCallError;
}

describe('gRPC department client over mutual TLS', () => {
  it('streams the frames of an answer from a department with the right certificate', async () => {
    const department = await startDepartment({ serverCert: pki.departments.public_security!, clientCa: pki.caCert });
    const client = gatewayClient('public_security', department.port);

    const frames = await collect(client.execute('the-warrant', { deadline: soon() }));

    expect(frames.map((f) => f.frame)).toEqual(['header', 'chunk', 'chunk', 'trailer']);
    expect(frames[0]).toEqual({ frame: 'header', header: { format: 'qiao-jwe-ndjson-v1', warrantId: 'w-1', department: 'public_security' } });
    expect(Buffer.concat(frames.filter((f) => f.frame === 'chunk').map((f) => f.chunk!)).toString()).toBe('first second');
    expect(frames[3]).toEqual({ frame: 'trailer', trailer: { records: 2, bytes: 12, sha256: 'ab'.repeat(32), receipt: '' } });
    // The department saw the warrant, sent by the gateway's client certificate.
    expect(department.received).toEqual([{ warrant: 'the-warrant', peer: GATEWAY_IDENTITY }]);
    expect(await client.describe({ deadline: soon() })).toMatchObject({ department: 'public_security', categories: [{ name: 'household' }] });
  });

  it("refuses a server presenting another department's certificate", async () => {
    const impostor = await startDepartment({ serverCert: pki.departments.natural_resources!, clientCa: pki.caCert });
    const client = gatewayClient('public_security', impostor.port);

    const err = await callError(collect(client.execute('the-warrant', { deadline: soon() })));

    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toContain('public-security.department.qiao.internal');
    expect(impostor.received).toEqual([]); // the warrant never left
    // Retried like an outage (an operator may fix it), but said for what it is.
    expect(describeCallFailure(err, 'public_security')).toEqual({
      reason: "transport: the certificate of public_security's adapter is not issued for public_security (wrong name: another department's, or another host's); an operator must fix the certificate, retrying meanwhile",
      code: 'TLS',
      permanent: false,
      transport: true,
    });
  });

  it('refuses a server whose certificate comes from another CA', async () => {
    // It would accept the gateway (it trusts our CA for clients); the gateway must not accept it.
    const stranger = await startDepartment({ serverCert: otherPki.departments.public_security!, clientCa: pki.caCert });
    const client = gatewayClient('public_security', stranger.port);

    const err = await callError(collect(client.execute('the-warrant', { deadline: soon() })));

    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toMatch(/unable to verify/);
    expect(stranger.received).toEqual([]);
    expect(describeCallFailure(err, 'public_security')).toMatchObject({
      reason: "transport: the certificate of public_security's adapter is not trusted: it is not issued by the certificate authority the gateway trusts; an operator must fix the certificate, retrying meanwhile",
      permanent: false,
      transport: true,
    });
  });

  it("says in words that a department requiring a certificate of another CA refuses the gateway's", async () => {
    // grpc-js says only "Failed to connect": the client's own TLS probe learns why.
    const strict = await startDepartment({ serverCert: pki.departments.public_security!, clientCa: otherPki.caCert });
    const client = gatewayClient('public_security', strict.port);

    const err = await callError(collect(client.execute('the-warrant', { deadline: soon() })));

    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toBe("public_security refused the gateway's client certificate (it closed the connection on receiving it, without a TLS alert)");
    expect(strict.received).toEqual([]);
    expect(describeCallFailure(err, 'public_security')).toEqual({
      reason: "transport: public_security refused the gateway's client certificate (it closed the connection on receiving it, without a TLS alert); an operator must fix the certificate, retrying meanwhile",
      code: 'TLS',
      permanent: false,
      transport: true,
    });
  });

  it('leaves a department that is not listening unreachable, with no word of certificates', async () => {
    const gone = await startDepartment({ serverCert: pki.departments.public_security!, clientCa: pki.caCert });
    const port = gone.port;
    await servers.pop()!.close();
    const err = await callError(collect(gatewayClient('public_security', port).execute('the-warrant', { deadline: soon() })));
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(describeCallFailure(err, 'public_security')).toMatchObject({ reason: 'transport: public_security unreachable', code: 'UNAVAILABLE' });
  });

  it('reports a refusal by its gRPC status name', async () => {
    const department = await startDepartment({
      serverCert: pki.departments.public_security!,
      clientCa: pki.caCert,
      execute: (_w, call) => {
        call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: 'warrant for another department' });
      },
    });
    const client = gatewayClient('public_security', department.port);

    const err = await callError(collect(client.execute('w', { deadline: soon() })));

    expect(err).toMatchObject({ code: 'PERMISSION_DENIED', message: 'warrant for another department', department: 'public_security' });
  });

  it("reads the contract's refusal code from the call's trailing metadata, and ignores a code it does not know", async () => {
    const refusing = (code: string) => (_w: string, call: grpc.ServerWritableStream<unknown, unknown>) => {
      const metadata = new grpc.Metadata();
      metadata.set('qiao-refusal', code);
      call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: 'warrant recipient key is not certified', metadata });
    };
    const known = await startDepartment({ serverCert: pki.departments.public_security!, clientCa: pki.caCert, execute: refusing('recipient_key_not_certified') });
    const unknown = await startDepartment({ serverCert: pki.departments.public_security!, clientCa: pki.caCert, execute: refusing('please_retry_forever') });

    const err = await callError(collect(gatewayClient('public_security', known.port).execute('w', { deadline: soon() })));
    expect(err).toMatchObject({ code: 'PERMISSION_DENIED', refusal: 'recipient_key_not_certified', transport: false });
    const other = await callError(collect(gatewayClient('public_security', unknown.port).execute('w', { deadline: soon() })));
    expect(other).toMatchObject({ code: 'PERMISSION_DENIED', refusal: null });
  });

  /** A department that sends the header and then nothing more: a call that went silent. */
  const silentAfterHeader = async () => {
    const department = await startDepartment({
      serverCert: pki.departments.public_security!,
      clientCa: pki.caCert,
      execute: (_w, call) => {
        call.write({ header: { format: 'f', warrantId: 'w', department: 'public_security' } });
      },
    });
    return gatewayClient('public_security', department.port);
  };

  it('abandons a call on which nothing arrives for the idle timeout, long before its deadline', async () => {
    const client = await silentAfterHeader();

    const err = await callError(collect(client.execute('w', { deadline: soon(600_000), idleTimeoutMs: 300 })));

    expect(err).toMatchObject({ code: 'IDLE', transport: true });
  });

  it('gives up at the call deadline', async () => {
    const client = await silentAfterHeader();

    const err = await callError(collect(client.execute('w', { deadline: soon(300) })));

    expect(err.code).toBe('DEADLINE_EXCEEDED');
  });

  it('cancels the call when the signal aborts', async () => {
    let cancelled!: () => void;
    const sawCancel = new Promise<void>((r) => (cancelled = r));
    const department = await startDepartment({
      serverCert: pki.departments.public_security!,
      clientCa: pki.caCert,
      execute: (_w, call) => {
        call.on('cancelled', () => cancelled());
        call.write({ header: { format: 'f', warrantId: 'w', department: 'public_security' } });
      },
    });
    const client = gatewayClient('public_security', department.port);
    const controller = new AbortController();

    const frames: ResultFrame[] = [];
    const err = await callError(
      (async () => {
        for await (const f of client.execute('w', { deadline: soon(), signal: controller.signal })) {
          frames.push(f);
          controller.abort();
        }
      })(),
    );

    expect(frames).toHaveLength(1);
    expect(err.code).toBe('CANCELLED');
    await sawCancel; // the department learned of it too
  });

  it('serves the configured departments from one directory and refuses others', async () => {
    const department = await startDepartment({ serverCert: pki.departments.public_security!, clientCa: pki.caCert });
    const directory = createGrpcDepartmentDirectory({
      tls: { ca: pki.caCert, cert: pki.gatewayClient.cert, key: pki.gatewayClient.key },
      endpoints: [{ name: 'public_security', host: '127.0.0.1', port: department.port }],
    });
    try {
      expect(directory.departments()).toEqual(['public_security']);
      const frames = await collect(directory.client('public_security').execute('w', { deadline: soon() }));
      expect(frames).toHaveLength(4);
      expect(() => directory.client('finance')).toThrow(expect.objectContaining({ code: 'NOT_CONFIGURED' }));
    } finally {
      await directory.close();
    }
  });
});

describe('checkDepartmentIdentity', () => {
  const certOf = (pem: string) => {
    const x = new X509Certificate(pem);
    return { subject: { CN: x.subject.replace(/^CN=/, '') }, subjectaltname: x.subjectAltName } as unknown as PeerCertificate;
  };

  it("accepts the department's own certificate and refuses another department's", () => {
    const expected = departmentHostname('public_security');
    expect(checkDepartmentIdentity(expected, certOf(pki.departments.public_security!.cert))).toBeUndefined();
    expect(checkDepartmentIdentity(expected, certOf(pki.departments.natural_resources!.cert))).toBeInstanceOf(Error);
  });

  it('refuses a wildcard name standing in for the department', () => {
    const wildcard = { subject: { CN: '*.department.qiao.internal' }, subjectaltname: 'DNS:*.department.qiao.internal' } as unknown as PeerCertificate;
    expect(checkDepartmentIdentity(departmentHostname('public_security'), wildcard)).toBeInstanceOf(Error);
  });
});
