import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { DepartmentActivity } from '../departments/activity';
import type { DepartmentHealth } from '../departments/health';
import type { GatewayMetrics } from '../metrics/registry';
import type { ReadinessProbes } from '../services/health/check-ready';
import { and, eq } from 'drizzle-orm';
import type { Hono } from 'hono';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import { createApp, type AppEnv, type ResultReader } from '../app';
import { createDevIssuer } from '../auth/dev-issuer';
import { createTokenVerifier, type TokenVerifier } from '../auth/verify-token';
import { loadCatalogue, type Catalogue } from '../catalogue';
import { parseConfig, type Config, type Mode } from '../config';
import type { Database, Db } from '../db/client';
import { inquiryParts, units, users, type Role } from '../db/schema';
import { FakeDepartmentDirectory } from '../departments/fake-client';
import { processPart } from '../fanout/process';
import { answerAsDepartment, leasePart, testUnitKey } from '../fanout/test-fixtures';
import { openTestDatabase } from '../db/testing';
import type { ApprovalPolicy } from '../policy/approval-policy';
import { loadPolicies } from '../policy/load-policies';
import { openResultStream } from '../services/result/read-result';
import type { CheckpointSigning } from '../services/audit/checkpoints';
import { createAuditWriter, type AuditWriter } from '../services/audit/commitments';
import type { PolicyEngine } from '../policy/authorize';
import { createLogger } from '../logger';
import { request, TestCaller, type ApiResponse, type RequestOptions } from './api-client';
import { residentId } from './subjects';
import { createTestIssuer, TEST_AUDIENCE, TEST_ISSUER, type TestIssuer } from './test-issuer';
import { createDenialLimiter, type DenialLimiter } from '../services/audit/denial-limit';
import { newEd25519SigningJwks } from '../../proto/node/keys';
import type { RevocationSource } from '../../proto/node/revocation-source';
import { createInquiryWatch, INQUIRY_CHANGED_CHANNEL } from '../services/inquiry/watch';

export { TestCaller, type ApiResponse, type RequestOptions } from './api-client';
export type { TestIssuer } from './test-issuer';

const REPO_CATALOGUE = fileURLToPath(new URL('../../policies/categories.json', import.meta.url));
export const REPO_POLICY_DIR = fileURLToPath(new URL('../../policies', import.meta.url));

/** The demo unit tree slice every test gateway has: region → two leagues → their banners. */
export const TEST_UNITS = {
  region: { id: '150000', name: 'Inner Mongolia Autonomous Region', nameZh: '内蒙古自治区', level: 'region', parentId: null },
  league: { id: '150600', name: 'Ordos City', nameZh: '鄂尔多斯市', level: 'league', parentId: '150000' },
  banner: { id: '150627', name: 'Ejin Horo Banner', nameZh: '伊金霍洛旗', level: 'banner', parentId: '150600' },
  siblingBanner: { id: '150621', name: 'Dalad Banner', nameZh: '达拉特旗', level: 'banner', parentId: '150600' },
  otherLeague: { id: '152900', name: 'Alxa League', nameZh: '阿拉善盟', level: 'league', parentId: '150000' },
  otherBanner: { id: '152921', name: 'Alxa Left Banner', nameZh: '阿拉善左旗', level: 'banner', parentId: '152900' },
} as const;
export type TestUnitName = keyof typeof TEST_UNITS;

export interface TestUser {
  id: string;
  username: string;
  displayName: string;
  unitId: string;
  roles: Role[];
  /** A valid bearer token for this user from the test issuer. */
  token: string;
}

/** Every role, placed where the tests need it. Usernames are random per gateway. */
export interface TestUsers {
  /** Investigator of Ejin Horo Banner: submits the inquiries most tests use. */
  investigator: TestUser;
  /** A second investigator of the same banner. */
  colleague: TestUser;
  /** Investigator of Dalad Banner, a sibling banner in the same league. */
  siblingInvestigator: TestUser;
  /** Investigator of Alxa Left Banner, another league. */
  otherInvestigator: TestUser;
  /** Approver of Ordos City, the banner's league. */
  approver: TestUser;
  /** Approver of Alxa League: outside the banner's subtree. */
  otherApprover: TestUser;
  /** Banner approver who also investigates: tests self-approval. */
  investigatingApprover: TestUser;
  /** Regional approver at the region. */
  regionalApprover: TestUser;
  /** A second regional approver: highly sensitive inquiries need two. */
  regionalApprover2: TestUser;
  /** Investigator of the regional big-data centre: runs entrusted inquiries for leagues. */
  regionalInvestigator: TestUser;
  auditor: TestUser;
  departmentOperator: TestUser;
  administrator: TestUser;
}

export interface TestGatewayOptions {
  mode?: Mode;
  /** The directory authority's public key, for tests of signed statements and decisions. */
  directoryAuthorityKey?: JWK;
  /** The directory's revocation list the gateway checks signing keys against at submit and decide. */
  revocations?: RevocationSource;
  /** Reuse an open database (it is seeded idempotently and not closed by `close()`). */
  database?: Database;
  catalogue?: Catalogue;
  /** A policy folder other than the repository's policies/ (Cedar files and approvals.json). */
  policyDir?: string;
  /** Adjusts the loaded approval policy, e.g. raises the fair-use limits for a test that submits a lot. */
  adjustApprovals?: (loaded: ApprovalPolicy) => ApprovalPolicy;
  /** The checkpoint signer of POST /v1/audit/checkpoint; without it that route answers 409. */
  auditCheckpoints?: CheckpointSigning;
  results?: ResultReader;
  /** A token verifier other than the test issuer's in-memory JWKS (e.g. one fetching a JWKS URL). */
  tokens?: TokenVerifier;
  clock?: () => Date;
  /** Extra configuration variables, e.g. `{ QIAO_PART_DEADLINE: '1m' }`. */
  env?: Record<string, string>;
  /** The audit writer (commitment key); default one with a random key of this gateway's own. */
  audit?: AuditWriter;
  /** Department probes for GET /v1/catalogue; without them every department is not_configured. */
  departmentHealth?: DepartmentHealth;
  /** What the fan-out saw of the departments' calls, for GET /v1/departments. */
  departmentActivity?: DepartmentActivity;
  /** Readiness probes of GET /ready beyond the database (the checkpoint signer). */
  readiness?: ReadinessProbes;
  /** Prometheus metrics the app counts its requests into. */
  metrics?: GatewayMetrics;
}


export interface TestGateway {
  app: Hono<AppEnv>;
  database: Database;
  db: Db;
  config: Config;
  catalogue: Catalogue;
  policy: PolicyEngine;
  approvals: ApprovalPolicy;
  logger: Logger;
  units: { [K in TestUnitName]: string };
  users: TestUsers;
  /** The fan-out seam: counts wake-ups. */
  fanout: { wakes: number; wake(): void };
  /** Everything the app logged, one JSON line each. */
  logs: string[];
  /** The audit writer the app appends with: tests that append directly pass it too. */
  audit: AuditWriter;
  /** The app's count of refused requests (QIAO_DENIALS_PER_MINUTE): `flushDenialCounts` writes its counting entries. */
  denials: DenialLimiter;
  /** The public half of the key `storeResult` signs warrants with (a JWK with kid). */
  warrantPublicJwk: JWK;
  /** A department's receipt key pair, made on first use: `storeResult`'s answers are signed with it. */
  receiptKey(department: string): Promise<{ publicJwk: JWK; privateJwk: JWK }>;
  tokens: TestIssuer;
  /** A client sending the given user's token (or the given raw token, or none). */
  as(who: TestUser | string | null): TestCaller;
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  /** Adds a user with a random username to the directory. */
  seedUser(unitId: string, roles: Role[]): Promise<TestUser>;
  /** A valid submission body for the banner: one person, the household categories. */
  inquiryBody(overrides?: Record<string, unknown>): Record<string, unknown>;
  /**
   * Answers an approved inquiry's pending part through the fan-out worker's own attempt
   * (`processPart`): a real warrant is issued, stored and logged, an in-memory department answers
   * it with a real `qiao-stream-v2` result encrypted to the unit's key (`testUnitKey`) and a
   * receipt signed with `receiptKey(department)`, and the worker records the answer — chunks,
   * results row, part succeeded, `department.answered` — exactly as production does.
   */
  storeResult(
    inquiryId: string,
    department: string,
    options?: { records?: number; recordBytes?: number; chunkSize?: number },
  ): Promise<StoredResult>;
  close(): Promise<void>;
}

export interface StoredResult {
  partId: string;
  warrantId: string;
  /** The compact warrant JWS the department received. */
  warrant: string;
  /** The result bytes as stored and downloaded. */
  ciphertext: Uint8Array;
  sha256: string;
  receipt: string;
}

/** One call: a fresh database (or the given one), seeded units and users, keys, and the app. */
export async function createTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const mode = options.mode ?? 'development';
  const database = options.database ?? (await openTestDatabase());
  const { db } = database;
  const config = parseConfig({
    QIAO_MODE: mode,
    QIAO_TOKEN_ISSUER: TEST_ISSUER,
    QIAO_TOKEN_AUDIENCE: TEST_AUDIENCE,
    QIAO_TOKEN_JWKS_FILE: '(test issuer, in memory)',
    QIAO_DEPARTMENTS: 'public_security=127.0.0.1:1,natural_resources=127.0.0.1:2',
    QIAO_LOG_LEVEL: 'info',
    // Most tests submit unsigned; the signature tests turn it on and pass a directory authority.
    QIAO_REQUIRE_SIGNATURES: 'false',
    ...options.env,
  });
  const catalogue = options.catalogue ?? (await loadCatalogue(REPO_CATALOGUE));
  const loaded = await loadPolicies(options.policyDir ?? REPO_POLICY_DIR, catalogue);
  const { policy } = loaded;
  const approvals = options.adjustApprovals ? options.adjustApprovals(loaded.approvals) : loaded.approvals;
  const tokens = await createTestIssuer();
  const logs: string[] = [];
  const logger = createLogger({ level: config.logLevel, destination: { write: (line: string) => void logs.push(line) } });
  const fanout = {
    wakes: 0,
    wake() {
      fanout.wakes++;
    },
  };
  const audit = options.audit ?? createAuditWriter(randomBytes(32));
  const clock = options.clock ?? (() => new Date());
  const warrantKey = newEd25519SigningJwks(`test-warrant-${randomBytes(4).toString('hex')}`);
  const receiptKeys = new Map<string, Promise<{ publicJwk: JWK; privateJwk: JWK }>>();
  const receiptKey = (department: string) => {
    if (!receiptKeys.has(department)) receiptKeys.set(department, Promise.resolve(newEd25519SigningJwks(`test-receipt-${department}`)));
    return receiptKeys.get(department)!;
  };
  const denials = createDenialLimiter(config.denialsPerMinute);
  // As server.ts wires it: event streams told by the database's notifications, polling as the fallback.
  const watch = createInquiryWatch({ db, intervalMs: config.eventsPollIntervalMs, logger });
  const unlistenInquiries = await database.listen(INQUIRY_CHANGED_CHANNEL, (id) => watch.notified(id));
  const app = createApp({
    watch,
    audit,
    denials,
    config,
    db,
    logger,
    catalogue,
    policy,
    approvals,
    tokens: options.tokens ?? createTokenVerifier({ jwks: tokens.publicJwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE }),
    devIssuer: await createDevIssuer({ privateJwk: tokens.privateJwk, issuer: TEST_ISSUER, audience: TEST_AUDIENCE }),
    fanout,
    results: options.results ?? { openResultStream: (partId, warrantId) => openResultStream(db, partId, warrantId) },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.auditCheckpoints ? { auditCheckpoints: options.auditCheckpoints } : {}),
    ...(options.directoryAuthorityKey ? { directoryAuthorityKey: options.directoryAuthorityKey } : {}),
    ...(options.revocations ? { revocations: options.revocations } : {}),
    ...(options.departmentHealth ? { departmentHealth: options.departmentHealth } : {}),
    ...(options.departmentActivity ? { departmentActivity: options.departmentActivity } : {}),
    ...(options.readiness ? { readiness: options.readiness } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });

  await db
    .insert(units)
    .values(Object.values(TEST_UNITS).map((u) => ({ ...u, encryptionKey: testUnitKey(u.id).publicJwk })))
    .onConflictDoNothing();

  async function seedUser(unitId: string, roles: Role[]): Promise<TestUser> {
    const username = `${roles[0] ?? 'nobody'}-${randomBytes(5).toString('hex')}`;
    const displayName = `Test ${roles.join('+') || 'user'} ${username.slice(-4)}`;
    const [row] = await db.insert(users).values({ username, displayName, unitId, roles }).returning({ id: users.id });
    return { id: row!.id, username, displayName, unitId, roles, token: await tokens.mint(username) };
  }

  const u = TEST_UNITS;
  const seeded: TestUsers = {
    investigator: await seedUser(u.banner.id, ['investigator']),
    colleague: await seedUser(u.banner.id, ['investigator']),
    siblingInvestigator: await seedUser(u.siblingBanner.id, ['investigator']),
    otherInvestigator: await seedUser(u.otherBanner.id, ['investigator']),
    approver: await seedUser(u.league.id, ['approver']),
    otherApprover: await seedUser(u.otherLeague.id, ['approver']),
    investigatingApprover: await seedUser(u.banner.id, ['approver', 'investigator']),
    regionalApprover: await seedUser(u.region.id, ['regional_approver']),
    regionalApprover2: await seedUser(u.region.id, ['regional_approver']),
    regionalInvestigator: await seedUser(u.region.id, ['investigator']),
    auditor: await seedUser(u.region.id, ['auditor']),
    departmentOperator: await seedUser(u.banner.id, ['department_operator']),
    administrator: await seedUser(u.region.id, ['administrator']),
  };

  const send = <T>(method: string, path: string, opts?: RequestOptions) => request<T>(app, method, path, opts);

  return {
    app,
    database,
    db,
    config,
    catalogue,
    policy,
    approvals,
    logger,
    units: Object.fromEntries(Object.entries(TEST_UNITS).map(([k, v]) => [k, v.id])) as { [K in TestUnitName]: string },
    users: seeded,
    fanout,
    logs,
    audit,
    denials,
    warrantPublicJwk: warrantKey.publicJwk,
    receiptKey,
    tokens,
    as: (who) => new TestCaller(app, who === null ? undefined : typeof who === 'string' ? who : who.token),
    request: send,
    seedUser,
    inquiryBody: (overrides = {}) => ({
      caseReference: `EJH-2024-${randomBytes(3).toString('hex')}`,
      legalBasis: 'Supervision Law of the PRC, Art. 25',
      purpose: 'Verify household registration against grassland subsidy declarations',
      subjects: [{ kind: 'person', id: residentId(u.banner.id, '19680312'), name: '李某' }],
      categories: ['household', 'household_members'],
      ...overrides,
    }),
    async storeResult(inquiryId, department, opts = {}) {
      const [part] = await db
        .select()
        .from(inquiryParts)
        .where(and(eq(inquiryParts.inquiryId, inquiryId), eq(inquiryParts.department, department)));
      if (!part) throw new Error(`inquiry ${inquiryId} has no part for ${department}: approve it first (the final approval creates the parts)`);
      const workerId = `harness-${randomBytes(3).toString('hex')}`;
      const leased = await leasePart(db, part.id, workerId, clock());
      if (!leased) throw new Error(`the ${department} part of inquiry ${inquiryId} is ${part.status}, not pending: storeResult answers it as the worker's claim would`);
      let answer: { ciphertext: Uint8Array; receipt: string } | undefined;
      const directory = new FakeDepartmentDirectory({
        [department]: answerAsDepartment({ ...opts, receiptKey: (await receiptKey(department)).privateJwk, warrantKey: warrantKey.publicJwk, onAnswer: (a) => (answer = a) }),
      });
      const outcome = await processPart(
        {
          db,
          directory,
          signer: { privateJwk: warrantKey.privateJwk, pseudonymKey: randomBytes(32) },
          catalogue,
          logger,
          workerId,
          callDeadlineMs: 30_000,
          maxAttempts: 1,
          retryBaseMs: 1000,
          retryMaxMs: 1000,
          maxAnswerBytes: 1024 ** 3,
          now: clock,
          audit,
        },
        leased,
      );
      const [settled] = await db.select().from(inquiryParts).where(eq(inquiryParts.id, part.id));
      if (outcome !== 'succeeded' || !answer) throw new Error(`storeResult: the worker's attempt ended ${outcome}: ${settled?.failureReason ?? 'no reason recorded'}`);
      return {
        partId: part.id,
        warrantId: settled!.warrantId!,
        warrant: directory.calls[0]!.warrant,
        ciphertext: answer.ciphertext,
        sha256: createHash('sha256').update(answer.ciphertext).digest('hex'),
        receipt: answer.receipt,
      };
    },
    async close() {
      await unlistenInquiries();
      if (!options.database) await database.close();
    },
  };
}

