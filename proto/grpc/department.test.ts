import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import {
  DepartmentClient,
  DepartmentService,
  type DepartmentHandlers,
  type DescribeResponse,
  type ResultFrame,
} from './department';

// A codec test: plaintext loopback, because what is checked here is the wire encoding of the
// messages (oneof frames, 64-bit counts, bytes), not transport security (adapters/ tests that).
let server: grpc.Server;
let client: DepartmentClient;

const big = Number.MAX_SAFE_INTEGER;
const handlers: DepartmentHandlers = {
  describe: (_call, callback) =>
    callback(null, {
      department: 'public_security',
      displayName: '公安厅 Public Security',
      categories: [{ name: 'household', fields: ['household_id', 'address'] }],
      version: 'qiao-adapter-kit/0.1.0',
    }),
  execute: (call) => {
    call.write({ header: { format: 'qiao-jwe-ndjson-v1', warrantId: call.request.warrant, department: 'public_security' } });
    call.write({ chunk: Buffer.from([0, 1, 2, 255]) });
    call.write({ chunk: new Uint8Array(0) });
    call.write({ trailer: { records: 3, bytes: big, sha256: 'ab'.repeat(32), receipt: 'r' } });
    call.end();
  },
};

beforeAll(async () => {
  server = new grpc.Server();
  server.addService(DepartmentService, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  client = new DepartmentClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(() => {
  client?.close();
  server?.forceShutdown();
});

describe('qiao.department.v1.Department codec', () => {
  it('defines Describe (unary) and Execute (server streaming) at their full paths', () => {
    expect(DepartmentService.Describe?.path).toBe('/qiao.department.v1.Department/Describe');
    expect(DepartmentService.Execute?.path).toBe('/qiao.department.v1.Department/Execute');
    expect(DepartmentService.Execute?.responseStream).toBe(true);
    expect(DepartmentService.Describe?.responseStream).toBe(false);
  });

  it('Describe round-trips camelCase fields', async () => {
    const response = await new Promise<DescribeResponse | undefined>((resolve, reject) =>
      client.describe({}, (e, r) => (e ? reject(e) : resolve(r))),
    );
    expect(response).toEqual({
      department: 'public_security',
      displayName: '公安厅 Public Security',
      categories: [{ name: 'household', fields: ['household_id', 'address'] }],
      version: 'qiao-adapter-kit/0.1.0',
    });
  });

  it('Execute frames arrive tagged by `frame`, with bytes as bytes and uint64 as number', async () => {
    const frames: ResultFrame[] = [];
    for await (const frame of client.execute({ warrant: 'w-1' })) frames.push(frame as ResultFrame);
    expect(frames.map((f) => f.frame)).toEqual(['header', 'chunk', 'chunk', 'trailer']);
    expect(frames[0]!.header).toEqual({ format: 'qiao-jwe-ndjson-v1', warrantId: 'w-1', department: 'public_security' });
    expect(Buffer.from(frames[1]!.chunk!)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(frames[2]!.chunk!.length).toBe(0);
    expect(frames[3]!.trailer).toEqual({ records: 3, bytes: big, sha256: 'ab'.repeat(32), receipt: 'r' });
    expect(frames[0]!.chunk).toBeUndefined();
  });
});
