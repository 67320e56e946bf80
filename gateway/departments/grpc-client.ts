import { checkServerIdentity as checkTlsHostname, type PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { injectTraceContext } from '../../proto/grpc/trace-context';
import { tracer } from '../telemetry';
import { departmentHostname } from '../../proto/identity';
import { parseRefusalCode, REFUSAL_METADATA_KEY } from '../../proto/refusal';
import { DepartmentClient as GrpcDepartmentStub, type DescribeResponse, type ResultFrame } from '../../proto/grpc/department';
import { DepartmentCallError, type DepartmentClient, type DepartmentDirectory, type ExecuteOptions } from './client';
import { probeTls, type TlsProbeResult } from './tls-probe';

const EXECUTE_SPAN = 'qiao.department.v1.Department/Execute';

/** PEM material of the gateway's side of the mutual-TLS channel. */
export interface GatewayTls {
  /** The CA that issued the departments' certificates (the dev root CA in development). */
  ca: string;
  /** The gateway's client certificate and key (CN/SAN gateway.qiao.internal, EKU clientAuth). */
  cert: string;
  key: string;
}

/** Same shape as `Config['departments'][number]`, so the parsed configuration passes straight in. */
export interface DepartmentEndpoint {
  /** The department's name, e.g. `public_security`. */
  name: string;
  port: number;
  /** Default 127.0.0.1: the adapters run on loopback next to the gateway in the demo. */
  host?: string;
}

export interface GrpcDepartmentClientOptions {
  department: string;
  port: number;
  host?: string;
  tls: GatewayTls;
  channelOptions?: grpc.ChannelOptions;
}

/**
 * A DepartmentClient over mutual TLS. The channel dials host:port but names the department's
 * identity as the TLS server name, and accepts only a certificate chained to `tls.ca` that
 * carries exactly that department's DNS name: a certificate of another department, valid as
 * it may be, is refused, so a misrouted port can never receive a warrant meant for another.
 */
export function createGrpcDepartmentClient(options: GrpcDepartmentClientOptions): DepartmentClient {
  const { department, tls } = options;
  const expected = departmentHostname(department);
  const credentials = grpc.credentials.createSsl(Buffer.from(tls.ca), Buffer.from(tls.key), Buffer.from(tls.cert), {
    rejectUnauthorized: true,
    checkServerIdentity: (_host, cert) => checkDepartmentIdentity(expected, cert),
  });
  const connect = () =>
    new GrpcDepartmentStub(`${options.host ?? '127.0.0.1'}:${options.port}`, credentials, {
      'grpc.ssl_target_name_override': expected,
      'grpc.default_authority': expected,
      // HTTP/2's default 64 KiB window makes every 64 KiB frame wait a round trip for a
      // WINDOW_UPDATE; 4 MiB lets a large answer flow while still bounding what sits unread.
      'grpc-node.flow_control_window': 4 * 1024 * 1024,
      // A connection that dies without a word (a peer gone, a black-holed route) is noticed by
      // an unanswered ping within 5 + 5 s while a call runs, not at the call's deadline.
      'grpc.keepalive_time_ms': 5_000,
      'grpc.keepalive_timeout_ms': 5_000,
      ...options.channelOptions,
    });
  let stub = connect();
  // One probe at a time, shared by the calls that fail together.
  let probing: Promise<TlsProbeResult> | undefined;
  const probe = () =>
    (probing ??= probeTls({
      host: options.host ?? '127.0.0.1',
      port: options.port,
      servername: expected,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      checkServerIdentity: (_host, cert) => checkDepartmentIdentity(expected, cert),
    }).finally(() => (probing = undefined)));

  return {
    department,
    async *execute(warrant, callOptions) {
      const used = stub;
      try {
        yield* executeCall(used, department, warrant, callOptions, probe);
      } catch (err) {
        // The retry gets a fresh connection: the channel this call broke on may be dead in ways
        // grpc-js has not noticed yet. Calls still running on it finish there.
        if (err instanceof DepartmentCallError && err.transport && err.code !== 'CANCELLED' && stub === used) {
          stub = connect();
          used.close();
        }
        throw err;
      }
    },
    describe: (describeOptions) =>
      new Promise<DescribeResponse>((resolve, reject) => {
        const deadline = describeOptions?.deadline ?? new Date(Date.now() + 10_000);
        stub.describe({}, new grpc.Metadata(), { deadline }, (err, response) => {
          if (err || !response) reject(toCallError(err, department));
          else resolve(response);
        });
      }),
    close: () => stub.close(),
  };
}

/** Exact DNS SAN match, after the usual hostname check; no wildcard stands in for a department. */
export function checkDepartmentIdentity(expected: string, cert: PeerCertificate): Error | undefined {
  const hostnameError = checkTlsHostname(expected, cert);
  if (hostnameError) return hostnameError;
  const names = (cert.subjectaltname ?? '').split(',').map((s) => s.trim());
  if (!names.includes(`DNS:${expected}`)) {
    return new Error(`department certificate does not name ${expected} (it names ${cert.subjectaltname ?? 'nothing'})`);
  }
  return undefined;
}

async function* executeCall(
  stub: InstanceType<typeof GrpcDepartmentStub>,
  department: string,
  warrant: string,
  { deadline, signal, idleTimeoutMs }: ExecuteOptions,
  probe: () => Promise<TlsProbeResult>,
): AsyncIterable<ResultFrame> {
  if (signal?.aborted) throw new DepartmentCallError('CANCELLED', 'call cancelled before it started', department);
  // A client span whose context travels in the call's metadata (W3C traceparent): the
  // department's spans are its children. Ids only; the warrant itself is never an attribute.
  const span = tracer.startSpan(EXECUTE_SPAN, {
    kind: SpanKind.CLIENT,
    attributes: { 'rpc.system': 'grpc', 'rpc.service': 'qiao.department.v1.Department', 'rpc.method': 'Execute', 'qiao.department': department },
  });
  const call = stub.execute({ warrant }, injectTraceContext(new grpc.Metadata(), trace.setSpan(context.active(), span)), { deadline });
  let frames = 0;
  const cancel = () => call.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  let idle = false;
  let idleTimer: NodeJS.Timeout | undefined;
  const arm = () => {
    if (idleTimeoutMs === undefined) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      idle = true;
      call.cancel();
    }, idleTimeoutMs);
  };
  let finished = false;
  try {
    arm();
    for await (const frame of call as AsyncIterable<ResultFrame>) {
      // Silence is the department's, not ours: the clock stops while the frame is being stored.
      clearTimeout(idleTimer);
      frames += 1;
      yield normalizeFrame(frame, department);
      arm();
    }
    finished = true;
  } catch (err) {
    let failure = idle ? new DepartmentCallError('IDLE', `nothing arrived for ${idleTimeoutMs} ms`, department) : toCallError(err, department);
    if (frames === 0 && looksLikeHandshakeFailure(failure)) failure = await explainHandshakeFailure(failure, probe);
    span.setAttribute('rpc.grpc.status_text', failure.code);
    if (failure.refusal) span.setAttribute('qiao.refusal', failure.refusal);
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure.code });
    throw failure;
  } finally {
    span.setAttribute('qiao.frames', frames);
    span.end();
    clearTimeout(idleTimer);
    signal?.removeEventListener('abort', cancel);
    if (!finished) {
      // The consumer stopped early (or the stream broke): end the call on the wire too.
      call.on('error', () => {});
      call.cancel();
    }
  }
}

/**
 * A call that failed before any frame the way a refused TLS handshake shows in grpc-js: a
 * connection that could not be established without an OS error (`Failed to connect`), or a stream
 * reset carrying OpenSSL's text. An error that already names the cause (a refused connection, our
 * own check of the department's certificate) is left as it is.
 */
function looksLikeHandshakeFailure(err: DepartmentCallError): boolean {
  if (err.refusal || (err.code !== 'UNAVAILABLE' && err.code !== 'INTERNAL')) return false;
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|does not name|unable to verify|self[- ]signed|issuer|expired|not yet valid/i.test(err.message)) return false;
  return /Failed to connect|SSL routines|alert|handshake|secure TLS connection|ECONNRESET/i.test(err.message);
}

/**
 * Asks the department once, by a TLS handshake of its own, whether it refuses the gateway's
 * client certificate; if so the call's failure says that in words (and stays a transport failure,
 * retried: an operator may fix the certificate) instead of grpc-js's text. Otherwise the failure
 * is kept as it was.
 */
async function explainHandshakeFailure(err: DepartmentCallError, probe: () => Promise<TlsProbeResult>): Promise<DepartmentCallError> {
  const verdict = await probe().catch(() => null);
  if (verdict?.outcome !== 'refused') return err;
  const { department } = err;
  const message = verdict.certificate
    ? `${department} refused the gateway's client certificate (${verdict.alert ?? 'it closed the connection on receiving it, without a TLS alert'})`
    : `${department} refused the TLS handshake (${verdict.alert})`;
  return new DepartmentCallError('UNAVAILABLE', message, department);
}

/** proto-loader fills absent oneof members with defaults; keep only the member that was sent. */
function normalizeFrame(frame: ResultFrame, department: string): ResultFrame {
  switch (frame.frame) {
    case 'header':
      return { frame: 'header', header: frame.header };
    case 'chunk':
      return { frame: 'chunk', chunk: frame.chunk };
    case 'trailer':
      return { frame: 'trailer', trailer: frame.trailer };
    default:
      throw new DepartmentCallError('PROTOCOL', 'result frame with no member set', department);
  }
}

function toCallError(err: unknown, department: string): DepartmentCallError {
  if (err instanceof DepartmentCallError) return err;
  const e = err as Partial<grpc.ServiceError> | null;
  if (e && typeof e.code === 'number') {
    const refusal = parseRefusalCode(e.metadata?.get(REFUSAL_METADATA_KEY)[0]);
    return new DepartmentCallError(grpc.status[e.code] ?? `STATUS_${e.code}`, e.details ?? e.message ?? '', department, refusal);
  }
  return new DepartmentCallError('UNKNOWN', e?.message ?? String(err), department);
}

export interface GrpcDirectoryOptions {
  tls: GatewayTls;
  endpoints: DepartmentEndpoint[];
  channelOptions?: grpc.ChannelOptions;
}

/** One long-lived channel per department, shared by every call to it. */
export function createGrpcDepartmentDirectory(options: GrpcDirectoryOptions): DepartmentDirectory {
  const clients = new Map<string, DepartmentClient>();
  for (const endpoint of options.endpoints) {
    if (clients.has(endpoint.name)) throw new Error(`department ${endpoint.name} listed twice`);
    clients.set(
      endpoint.name,
      createGrpcDepartmentClient({
        department: endpoint.name,
        host: endpoint.host,
        port: endpoint.port,
        tls: options.tls,
        channelOptions: options.channelOptions,
      }),
    );
  }
  return {
    departments: () => [...clients.keys()],
    client(department) {
      const client = clients.get(department);
      if (!client) throw new DepartmentCallError('NOT_CONFIGURED', `no adapter configured for ${department}`, department);
      return client;
    },
    async close() {
      for (const client of clients.values()) client.close();
    },
  };
}
