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
import { leagueOf, regionOf, type WarrantEvidence } from '../../proto/approval-evidence';
import { commentDigest, signDecision } from '../../proto/decision';
import { caseCommitment, disclosureDigest, makeDisclosures, newSalt, recipientKeyThumbprint, signStatement, statementDigest, type Disclosure } from '../../proto/inquiry-statement';
import { KEY_CERT_ISSUER } from '../../proto/key-certificate';
import { signSignerCertificate, type SignerCertificateClaims, type SignerRole } from '../../proto/signer-certificate';
import { pino } from 'pino';
import type { ApprovalRules } from './approval-rules';
import type { DataSource } from './data-source';
import type { StartAdapterOptions } from './server';
import { jwkPair, newEd25519PrivateKey } from '../../proto/node/keys';

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

/**
 * Signs a warrant; given the directory authority's private key (the test's own dev PKI), it first
 * attaches honest evidence for it (`withTestEvidence`) unless the claims carry some.
 */
export async function signTestWarrant(claims: WarrantClaims, privateJwk: JWK, evidence?: TestEvidenceOptions): Promise<string> {
  const withEvidence = evidence && !claims.evidence ? await withTestEvidence(claims, evidence) : claims;
  return signWarrant(withEvidence, { privateJwk });
}

/** The rules of a department that asks only for one approver of the requesting unit's league. */
export const LEAGUE_APPROVAL_RULES: ApprovalRules = { default: [{ role: 'approver', at: 'league', count: 1 }], categories: {} };

export interface TestSigner {
  kid: string;
  privateJwk: JWK;
  certificate: string;
  claims: SignerCertificateClaims;
}

/** A fresh Ed25519 key certified by `authorityPrivateJwk`; `cert` overrides any claim (to make bad certificates). */
export async function testSigner(authorityPrivateJwk: JWK, unit: string, roles: SignerRole[], cert: Partial<SignerCertificateClaims> = {}): Promise<TestSigner> {
  const { privateJwk, publicJwk: pub } = jwkPair(newEd25519PrivateKey());
  const kid = cert.kid ?? `sk-${randomBytes(8).toString('hex')}`;
  const now = Math.floor(Date.now() / 1000);
  const claims: SignerCertificateClaims = { iss: KEY_CERT_ISSUER, kid, unit, roles, key: { kty: 'OKP', crv: 'Ed25519', x: pub.x! }, nbf: now - 3600, exp: now + 86_400, ...cert };
  return { kid, claims, privateJwk: { ...privateJwk, kid }, certificate: await signSignerCertificate(claims, authorityPrivateJwk) };
}

export interface TestEvidenceOptions {
  authorityPrivateJwk: JWK;
  /** Who approves; default an approver of the unit's league and two regional approvers (enough for every demo department). */
  approvers?: { unit: string; role: Exclude<SignerRole, 'investigator'> }[];
}

/** The parts of honest evidence, for tests that then break one of them. */
export interface TestEvidenceParts {
  investigator: TestSigner;
  approvers: TestSigner[];
  statement: string;
  disclosures: Disclosure[];
  evidence: WarrantEvidence;
}

/** Honest evidence for `claims`: a statement of exactly its inquiry, subjects, categories and recipient, and signed approvals. */
export async function testEvidence(claims: WarrantClaims, opts: TestEvidenceOptions): Promise<TestEvidenceParts> {
  const unit = claims.recipient.unit;
  const investigator = await testSigner(opts.authorityPrivateJwk, unit, ['investigator']);
  const who = opts.approvers ?? [
    { unit: leagueOf(unit), role: 'approver' as const },
    { unit: regionOf(unit), role: 'regional_approver' as const },
    { unit: regionOf(unit), role: 'regional_approver' as const },
  ];
  const approvers = await Promise.all(who.map((a) => testSigner(opts.authorityPrivateJwk, a.unit, [a.role])));
  // A disclosure holds at most 50 subjects; a warrant with more is refused before its evidence is read.
  const disclosures = makeDisclosures(Object.keys(claims.categories), claims.subjects.slice(0, 50));
  const iat = Math.floor(Date.now() / 1000) - 30;
  const statement = await signStatement(
    {
      v: 1,
      inquiry_id: claims.inquiry_id,
      unit,
      legal_basis: claims.legal_basis,
      case_commitment: caseCommitment('TEST-CASE', newSalt()),
      recipient: { unit, key_thumbprint: await recipientKeyThumbprint(claims.recipient.key) },
      disclosures: disclosures.map(disclosureDigest).sort(),
      iat,
    },
    investigator.privateJwk,
  );
  const decisions = await Promise.all(
    approvers.map((a, i) =>
      signDecision(
        { v: 1, inquiry_id: claims.inquiry_id, statement_sha256: statementDigest(statement), decision: 'approve', step: i === 0 ? 0 : 1, role: who[i]!.role, comment_sha256: commentDigest('approved'), iat: iat + 1 + i },
        a.privateJwk,
      ),
    ),
  );
  const evidence: WarrantEvidence = {
    statement,
    statement_certificate: investigator.certificate,
    disclosures,
    approvals: approvers.map((a, i) => ({ decision: decisions[i]!, certificate: a.certificate })),
  };
  return { investigator, approvers, statement, disclosures, evidence };
}

export async function withTestEvidence(claims: WarrantClaims, opts: TestEvidenceOptions): Promise<WarrantClaims> {
  return { ...claims, evidence: (await testEvidence(claims, opts)).evidence };
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
  // RSA because node-forge's certificates hold only RSA keys; safe on Node 20 (proto/node/keys.ts): the job returns PEM strings, no KeyObject of it is exported.
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

/** What a test adapter needs of a dev PKI (certs-dev's `DevPki` has it). */
export interface TestAdapterPki {
  caCert: string;
  departments: Record<string, { cert: string; key: string }>;
  warrantKey: { publicJwks: { keys: JWK[] } };
  directoryAuthority: { publicJwk: JWK };
  receiptKeys: Record<string, { privateJwk: JWK }>;
}

/**
 * The options of a test adapter for `department` of a dev PKI, as `npm start` wires one: its own
 * certificate, the gateway's pinned warrant keys, the authority key, the revocation list and the
 * served-warrant log under `dir`, one league approval, silent logs. Spread and override the rest.
 */
export function testAdapterOptions(pki: TestAdapterPki, dir: string, department: string, source: DataSource): StartAdapterOptions {
  return {
    department,
    displayName: `${department} (test)`,
    source,
    tls: { ca: pki.caCert, ...pki.departments[department]! },
    warrantKeys: pki.warrantKey.publicJwks.keys,
    directoryAuthorityKey: pki.directoryAuthority.publicJwk,
    revocations: { location: path.join(dir, 'directory', 'revocations.jws') },
    approvalRules: LEAGUE_APPROVAL_RULES,
    receiptKey: pki.receiptKeys[department]!.privateJwk,
    servedLogFile: path.join(dir, 'served.ndjson'),
    logger: pino({ level: 'silent' }),
  };
}
