import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * The gRPC codec of qiao.department.v1.Department, loaded at run time from department.proto next
 * to this module, so the .proto stays the single source of truth (no generated code to drift).
 */

export const DEPARTMENT_PROTO_PATH = fileURLToPath(new URL('./department.proto', import.meta.url));
export const DEPARTMENT_SERVICE_NAME = 'qiao.department.v1.Department';

const packageDefinition = protoLoader.loadSync(DEPARTMENT_PROTO_PATH, {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});

/** The service definition, for `server.addService(DepartmentService, { describe, execute })`. */
export const DepartmentService = packageDefinition[DEPARTMENT_SERVICE_NAME] as grpc.ServiceDefinition;

export interface DescribeRequest {}

export interface CategoryInfo {
  name: string;
  fields: string[];
}

export interface DescribeResponse {
  department: string;
  displayName: string;
  categories: CategoryInfo[];
  /** The adapter's software version; '' (as received) from an adapter older than the field. */
  version?: string;
}

export interface ExecuteRequest {
  /** Compact JWS; see proto/warrant.ts. */
  warrant: string;
}

export interface ResultHeader {
  /** The ciphertext format, e.g. RESULT_FORMAT from proto/result-envelope.ts. */
  format: string;
  warrantId: string;
  department: string;
}

export interface ResultTrailer {
  /** Number of records in the plaintext. */
  records: number;
  /** Total ciphertext bytes over all chunks. */
  bytes: number;
  /** Lowercase hex SHA-256 of the concatenated chunks. */
  sha256: string;
  /** The department's signed receipt (compact JWS, proto/receipt.ts); '' from a sender without one. */
  receipt: string;
}

/** A frame as received: `frame` names the member of the oneof that is set. */
export type ResultFrame =
  | { frame: 'header'; header: ResultHeader; chunk?: undefined; trailer?: undefined }
  | { frame: 'chunk'; chunk: Uint8Array; header?: undefined; trailer?: undefined }
  | { frame: 'trailer'; trailer: ResultTrailer; header?: undefined; chunk?: undefined };

/** A frame as sent by an adapter: exactly one member of the oneof. */
export type ResultFrameOut = { header: ResultHeader } | { chunk: Uint8Array } | { trailer: ResultTrailer };

type UnaryCallback<T> = (error: grpc.ServiceError | null, response?: T) => void;

/** A typed client of the Department service. */
export interface DepartmentClient extends grpc.Client {
  describe(request: DescribeRequest, callback: UnaryCallback<DescribeResponse>): grpc.ClientUnaryCall;
  describe(
    request: DescribeRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: UnaryCallback<DescribeResponse>,
  ): grpc.ClientUnaryCall;
  execute(request: ExecuteRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<ResultFrame>;
  execute(
    request: ExecuteRequest,
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<ResultFrame>;
}

export type DepartmentClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => DepartmentClient;

/** `new DepartmentClient('127.0.0.1:7101', credentials, { 'grpc.ssl_target_name_override': hostname })`. */
export const DepartmentClient = grpc.makeGenericClientConstructor(
  DepartmentService,
  'Department',
) as unknown as DepartmentClientConstructor;

/** The server-side handlers an adapter implements. */
export interface DepartmentHandlers extends grpc.UntypedServiceImplementation {
  describe: grpc.handleUnaryCall<DescribeRequest, DescribeResponse>;
  execute: grpc.handleServerStreamingCall<ExecuteRequest, ResultFrameOut>;
}
