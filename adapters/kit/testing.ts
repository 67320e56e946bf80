import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import type { JWK } from 'jose';
import forge from 'node-forge';
import { DepartmentClient, type ResultFrame } from '../../proto/grpc/department';
import { departmentHostname } from '../../proto/identity';
import { signWarrant, WARRANT_ISSUER, type WarrantClaims } from '../../proto/warrant';

/**
 * Test helpers for adapters (not used in production code): clients with chosen certificates,
 * warrants with chosen flaws, a client certificate with a chosen identity, and a way to collect a
 * whole Execute answer — frames and final status — without ever hanging.
 */

export interface ClientTls {
  ca: string;
  cert?: string;
  key?: string;
}

const CALL_DEADLINE_MS = 10_000;

export function connectDepartment(port: number, department: string, tls: ClientTls): DepartmentClient {
  const credentials =
    tls.cert && tls.key
      ? grpc.credentials.createSsl(Buffer.from(tls.ca), Buffer.from(tls.key), Buffer.from(tls.cert))
      : grpc.credentials.createSsl(Buffer.from(tls.ca));
  return new DepartmentClient(`127.0.0.1:${port}`, credentials, {
    'grpc.ssl_target_name_override': departmentHostname(department),
    'grpc.default_authority': departmentHostname(department),
    'grpc-node.flow_control_window': 4 * 1024 * 1024,
  });
}

export interface ExecuteOutcome {
  frames: ResultFrame[];
  /** Null when the call ended with OK. */
  error: grpc.ServiceError | null;
}

export function executeAll(client: DepartmentClient, warrant: string): Promise<ExecuteOutcome> {
  return new Promise((resolve) => {
    const frames: ResultFrame[] = [];
    const call = client.execute({ warrant }, { deadline: Date.now() + CALL_DEADLINE_MS });
    call.on('data', (frame: ResultFrame) => frames.push(frame));
    call.on('error', (error: grpc.ServiceError) => resolve({ frames, error }));
    call.on('end', () => resolve({ frames, error: null }));
  });
}

export function describeDepartment(client: DepartmentClient) {
  return new Promise<{ error: grpc.ServiceError | null; response?: unknown }>((resolve) =>
    client.describe({}, new grpc.Metadata(), { deadline: Date.now() + CALL_DEADLINE_MS }, (error, response) =>
      resolve({ error, response }),
    ),
  );
}

/** grpc.health.v1.Health/Check over the same mTLS channel settings. */
export function checkHealth(port: number, department: string, tls: ClientTls, service = ''): Promise<string> {
  type HealthClient = grpc.Client & {
    check(req: { service: string }, options: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void;
  };
  const Health = grpc.makeGenericClientConstructor(healthService, 'Health') as unknown as new (
    ...args: ConstructorParameters<typeof grpc.Client>
  ) => HealthClient;
  const client = new Health(
    `127.0.0.1:${port}`,
    grpc.credentials.createSsl(Buffer.from(tls.ca), Buffer.from(tls.key!), Buffer.from(tls.cert!)),
    { 'grpc.ssl_target_name_override': departmentHostname(department) },
  );
  return new Promise((resolve, reject) =>
    client.check({ service }, { deadline: Date.now() + CALL_DEADLINE_MS }, (error, response) => {
      client.close();
      return error ? reject(error) : resolve(response.status);
    }),
  );
}

/** Claims of a valid warrant, valid from a minute ago for five minutes; override what a test needs. */
export function warrantClaims(
  overrides: Partial<WarrantClaims> & Pick<WarrantClaims, 'aud' | 'subjects' | 'categories'> & { recipientKey: JWK; keyCertificate?: string },
): WarrantClaims {
  const now = Math.floor(Date.now() / 1000);
  const { recipientKey, keyCertificate, ...rest } = overrides;
  return {
    iss: WARRANT_ISSUER,
    jti: randomUUID(),
    iat: now - 60,
    nbf: now - 60,
    exp: now + 300,
    inquiry_id: randomUUID(),
    legal_basis: '《中华人民共和国监察法》第十八条',
    case_ref: `cr_${randomBytes(12).toString('base64url')}`,
    approvals: [{ approver: `ap_${randomBytes(6).toString('base64url')}`, unit: '150600', decided_at: new Date().toISOString() }],
    recipient: {
      unit: '150627',
      key: recipientKey as WarrantClaims['recipient']['key'],
      ...(keyCertificate ? { key_certificate: keyCertificate } : {}),
    },
    ...rest,
  };
}

export async function signTestWarrant(claims: WarrantClaims, privateJwk: JWK): Promise<string> {
  return signWarrant(claims, { privateJwk });
}

/**
 * A client certificate issued by the dev CA in `pkiDir` (so it passes the TLS handshake) with a
 * chosen name: for testing that the adapter checks *who* the client is, not just its CA.
 */
export async function issueClientCertificate(pkiDir: string, name: string): Promise<{ cert: string; key: string }> {
  const [caCertPem, caKeyPem] = await Promise.all([
    readFile(path.join(pkiDir, 'pki', 'ca.crt'), 'utf8'),
    readFile(path.join(pkiDir, 'pki', 'ca.key'), 'utf8'),
  ]);
  const caCert = forge.pki.certificateFromPem(caCertPem);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 3_600_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: name }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: name }] },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(caKeyPem), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: privateKey };
}
