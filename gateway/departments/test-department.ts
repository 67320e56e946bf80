import * as grpc from '@grpc/grpc-js';
import { DepartmentService, type DepartmentHandlers, type ResultFrameOut } from '../../proto/grpc/department';

/**
 * A tiny Department gRPC server for tests, on 127.0.0.1 with a free port, over mutual TLS. It is
 * not the adapter kit (gateway/ must not import adapters/): just enough of a department to talk to.
 */
export interface TestDepartment {
  port: number;
  /** Warrants received, with the CN of the client certificate that sent them. */
  received: { warrant: string; peer: string | undefined }[];
  close(): Promise<void>;
}

export type TestExecute = (
  warrant: string,
  call: grpc.ServerWritableStream<{ warrant: string }, ResultFrameOut>,
) => Promise<void> | void;

export async function startTestDepartment(options: {
  department?: string;
  serverCert: { cert: string; key: string };
  /** The CA a client certificate must chain to. */
  clientCa: string;
  /** Default: a fixed header, two chunks and a trailer. */
  execute?: TestExecute;
}): Promise<TestDepartment> {
  const department = options.department ?? 'public_security';
  const received: TestDepartment['received'] = [];
  const server = new grpc.Server();
  const handlers: DepartmentHandlers = {
    describe: (_call, callback) =>
      callback(null, { department, displayName: department, categories: [{ name: 'household', fields: ['household_id'] }] }),
    execute: async (call) => {
      const cn = call.getAuthContext().sslPeerCertificate?.subject?.CN;
      received.push({ warrant: call.request.warrant, peer: Array.isArray(cn) ? cn.join(',') : cn });
      if (options.execute) return options.execute(call.request.warrant, call);
      call.write({ header: { format: 'qiao-jwe-ndjson-v1', warrantId: 'w-1', department } });
      call.write({ chunk: Buffer.from('first ') });
      call.write({ chunk: Buffer.from('second') });
      call.write({ trailer: { records: 2, bytes: 12, sha256: 'ab'.repeat(32), receipt: '' } });
      call.end();
    },
  };
  server.addService(DepartmentService, handlers);
  const credentials = grpc.ServerCredentials.createSsl(
    Buffer.from(options.clientCa),
    [{ cert_chain: Buffer.from(options.serverCert.cert), private_key: Buffer.from(options.serverCert.key) }],
    true,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
