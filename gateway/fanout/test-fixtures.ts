import { createECDH, createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { and, eq, sql } from 'drizzle-orm';
import type { JWK } from 'jose';
import pino from 'pino';
import { signReceipt } from '../../proto/receipt';
import { encryptResult, RESULT_FORMAT } from '../../proto/result-envelope';
import { verifyWarrant } from '../../proto/warrant';
import { loadPrincipal } from '../auth/principal';
import { loadCatalogue, type Catalogue } from '../catalogue';
import type { Db } from '../db/client';
import { inquiries, inquiryParts, units, users } from '../db/schema';
import { answerFrames, type FakeBehaviour } from '../departments/fake-client';
import type { ApprovalPolicy } from '../policy/approval-policy';
import type { PolicyEngine } from '../policy/authorize';
import { loadPolicies } from '../policy/load-policies';
import { createAuditWriter, type AuditWriter } from '../services/audit/append-audit';
import type { RequestContext, Services } from '../services/context';
import { decideInquiry } from '../services/inquiry/decide';
import { submitInquiry } from '../services/inquiry/submit';
import { createDenialLimiter } from '../services/audit/denial-limit';
import { createDirectoryCache } from '../services/unit/directory-cache';
import { jwkPair, newP256PrivateKey } from '../../proto/node/keys';

/**
 * Fixtures for the fan-out and warrant tests. They go through the production write paths: an
 * approved inquiry is submitted and approved by the real services (decision chain, parts and
 * audit entries included), and a department's answer is a real `qiao-stream-v1` result with a
 * real receipt (`answerAsDepartment`). Ids are random, so tests sharing one database never collide.
 */
export interface SeededInquiry {
  /** The banner the inquiry is for (its results are encrypted to this unit's key). */
  unitId: string;
  /** The banner's league, where the approver sits. */
  leagueId: string;
  investigatorId: string;
  /** The approver of the chain's first step (the league's). */
  approverId: string;
  inquiryId: string;
  /** The parts the final approval created, one per department. */
  parts: (typeof inquiryParts.$inferSelect)[];
}

const REGION = { id: '150000', name: 'Inner Mongolia Autonomous Region', nameZh: '内蒙古自治区', level: 'region', parentId: null } as const;
const REPO_CATALOGUE = fileURLToPath(new URL('../../policies/categories.json', import.meta.url));
const REPO_POLICY_DIR = fileURLToPath(new URL('../../policies', import.meta.url));

// Unit ids are 6-digit division codes: leagues 200000–599999, banners 600000–999999, apart from
// the region and from each other (one database per test file, so a counter is enough).
let nextUnit = randomInt(0, 400_000);

// The repository's catalogue and policies, read once per test process: they never change.
let repoRules: Promise<{ catalogue: Catalogue; policy: PolicyEngine; approvals: ApprovalPolicy }> | undefined;
function loadRepoRules() {
  repoRules ??= loadCatalogue(REPO_CATALOGUE).then(async (catalogue) => ({ catalogue, ...(await loadPolicies(REPO_POLICY_DIR, catalogue)) }));
  return repoRules;
}

/** A unit's P-256 encryption key pair, as units hold them (the public half goes to the gateway). */
export async function generateUnitKey(): Promise<{ publicJwk: JWK; privateJwk: JWK }> {
  const { publicJwk, privateJwk } = jwkPair(newP256PrivateKey());
  const kid = randomBytes(8).toString('hex');
  return {
    publicJwk: { ...publicJwk, kid, alg: 'ECDH-ES+A256KW', use: 'enc' },
    privateJwk: { ...privateJwk, kid, alg: 'ECDH-ES+A256KW', use: 'enc' },
  };
}

/**
 * The encryption key pair of a test unit, derived from its id: every test gateway of a process
 * (and of a shared database) agrees on it without keeping any, so a test can decrypt what it stored.
 */
export function testUnitKey(unitId: string): { publicJwk: JWK; privateJwk: JWK } {
  const d = createHash('sha256').update(`qiao test unit encryption key\n${unitId}`).digest();
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey(); // 0x04 ‖ x ‖ y
  const publicJwk: JWK = {
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33).toString('base64url'),
    kid: `test-unit-${unitId}`,
    alg: 'ECDH-ES+A256KW',
    use: 'enc',
  };
  return { publicJwk, privateJwk: { ...publicJwk, d: d.toString('base64url') } };
}

/** The services a fixture acts through, as `createApp` would build them. */
async function fixtureServices(db: Db, audit: AuditWriter): Promise<Services> {
  const rules = await loadRepoRules();
  return {
    db,
    ...rules,
    logger: pino({ level: 'silent' }),
    clock: () => new Date(),
    partDeadlineMs: 3600_000,
    signatures: { required: false },
    fanout: { wake() {} },
    denials: createDenialLimiter(1_000),
    watch: { subscribe: () => () => {}, notified() {} },
    directory: createDirectoryCache({ db, checkIntervalMs: 0 }),
    results: {
      openResultStream() {
        throw new Error('fixtures do not download results');
      },
    },
    audit,
  };
}

async function seedUser(db: Db, unitId: string, role: 'investigator' | 'approver' | 'regional_approver'): Promise<string> {
  const username = `${role}-${randomBytes(5).toString('hex')}`;
  await db.insert(users).values({ username, displayName: `Test ${role}`, unitId, roles: [role] });
  return username;
}

async function actAs(services: Services, username: string): Promise<RequestContext> {
  const principal = await loadPrincipal(services.db, username);
  if (!principal) throw new Error(`fixture user ${username} is not in the directory`);
  return { ...services, principal, requestId: randomUUID() };
}

/**
 * An approved inquiry of a fresh banner (under a fresh league), submitted by its investigator and
 * approved step by step by the approvers its chain names, through the real services: what the
 * gateway holds after a real approval, parts and audit entries included.
 */
export async function seedApprovedInquiry(
  db: Db,
  options: {
    encryptionKey?: JWK;
    categories?: string[];
    subjects?: { kind: 'person' | 'organisation'; id: string; name?: string }[];
    audit?: AuditWriter;
  } = {},
): Promise<SeededInquiry> {
  const services = await fixtureServices(db, options.audit ?? createAuditWriter(randomBytes(32)));
  const n = nextUnit++ % 400_000;
  const leagueId = String(200_000 + n);
  const unitId = String(600_000 + n);
  await db.insert(units).values({ ...REGION }).onConflictDoNothing();
  await db.insert(units).values([
    { id: leagueId, name: `Test League ${n}`, nameZh: `测试盟${n}`, level: 'league', parentId: REGION.id },
    { id: unitId, name: `Test Banner ${n}`, nameZh: `测试旗${n}`, level: 'banner', parentId: leagueId, encryptionKey: options.encryptionKey ?? (await generateUnitKey()).publicJwk },
  ]);
  const investigator = await seedUser(db, unitId, 'investigator');
  const submitted = await submitInquiry({
    ctx: await actAs(services, investigator),
    input: {
      caseReference: `EHB-2024-${randomBytes(4).toString('hex')}`,
      legalBasis: 'Supervision Law art. 18',
      purpose: 'subsidy fraud check',
      subjects: options.subjects ?? [{ kind: 'person', id: '150627196803120034', name: '李某' }],
      categories: options.categories ?? ['household', 'household_members'],
    },
  });
  const [row] = await db.select({ chain: inquiries.approvalChain }).from(inquiries).where(eq(inquiries.id, submitted.id));
  let approverId: string | undefined;
  for (const step of row!.chain) {
    for (let i = 0; i < step.count; i++) {
      const approver = await seedUser(db, step.unitId, step.role as 'approver' | 'regional_approver');
      const ctx = await actAs(services, approver);
      approverId ??= ctx.principal.userId;
      await decideInquiry(ctx, 'approve', submitted.id, { comment: 'approved' });
    }
  }
  const parts = await db.select().from(inquiryParts).where(eq(inquiryParts.inquiryId, submitted.id));
  return {
    unitId,
    leagueId,
    investigatorId: (await loadPrincipal(db, investigator))!.userId,
    approverId: approverId!,
    inquiryId: submitted.id,
    parts,
  };
}

/**
 * The inquiry's part for a department, as the approval created it, set to the state a test needs
 * (due now, due later, already settled …) — states the worker itself reaches through claims,
 * backoff and outcomes. A department the approval did not create a part for gets one inserted:
 * only the tests of the worker's defensive checks (a category another department serves) want that.
 */
export async function preparePart(
  db: Db,
  inquiryId: string,
  values: Partial<typeof inquiryParts.$inferInsert> & { department?: string } = {},
): Promise<typeof inquiryParts.$inferSelect> {
  const department = values.department ?? 'public_security';
  const set = { deadlineAt: values.deadlineAt ?? new Date(Date.now() + 3600_000), ...values, department };
  const [part] = await db
    .insert(inquiryParts)
    .values({ inquiryId, categories: ['household', 'household_members'], ...set })
    .onConflictDoUpdate({ target: [inquiryParts.inquiryId, inquiryParts.department], set })
    .returning();
  return part!;
}

/** Leases a pending part to `workerId` exactly as a claim (claim.ts) would, for one named part. */
export async function leasePart(db: Db, partId: string, workerId: string, now: Date, leaseMs = 60_000): Promise<typeof inquiryParts.$inferSelect | null> {
  const [part] = await db
    .update(inquiryParts)
    .set({ status: 'running', leaseOwner: workerId, leaseExpiresAt: new Date(now.getTime() + leaseMs), attempts: sql`${inquiryParts.attempts} + 1`, updatedAt: now })
    .where(and(eq(inquiryParts.id, partId), eq(inquiryParts.status, 'pending')))
    .returning();
  return part ?? null;
}

export interface DepartmentAnswerOptions {
  /** The department's receipt key (Ed25519 private JWK with kid). */
  receiptKey: JWK;
  /** The gateway's public warrant key: the answer is only given to a warrant that verifies. */
  warrantKey: JWK;
  /** How many records (default 1); each names the warrant's first subject and first category. */
  records?: number;
  /** Pads each record's first field to about this many bytes of NDJSON, with random base64 (so the ciphertext stays about as large: it hardly compresses). */
  recordBytes?: number;
  /** How the result is cut into chunks on the wire (default 64 KiB). */
  chunkSize?: number;
  /** Hands the test the result bytes and receipt the department sent. */
  onAnswer?: (answer: { ciphertext: Uint8Array; receipt: string }) => void;
}

/**
 * A fake department that answers like a real one: it verifies the warrant, encrypts records of
 * the warrant's fields to the warrant's recipient key (`qiao-stream-v2`) and signs a receipt.
 */
export function answerAsDepartment(options: DepartmentAnswerOptions): FakeBehaviour {
  return async function* (call) {
    const claims = await verifyWarrant(call.warrant, { keys: [options.warrantKey], audience: call.department });
    const [category, fields] = Object.entries(claims.categories)[0]!;
    const records = Array.from({ length: options.records ?? 1 }, (_, i) => {
      const record: Record<string, unknown> = { category, subject: claims.subjects[0]!.id };
      for (const field of fields) record[field] = `${field} ${i + 1}`;
      const first = fields[0]!;
      const missing = (options.recordBytes ?? 0) - JSON.stringify(record).length - 1;
      if (missing > 0) record[first] = `${String(record[first])} ${randomBytes(missing).toString('base64').slice(0, missing)}`;
      return record;
    });
    const ciphertext = await encryptResult(records, claims.recipient.key, { warrantId: claims.jti, department: call.department });
    const receipt = await signReceipt(
      {
        iss: call.department,
        warrant_id: claims.jti,
        inquiry_id: claims.inquiry_id,
        format: RESULT_FORMAT,
        records: records.length,
        bytes: ciphertext.length,
        ciphertext_sha256: createHash('sha256').update(ciphertext).digest('hex'),
        iat: Math.floor(Date.now() / 1000),
      },
      options.receiptKey,
    );
    options.onAnswer?.({ ciphertext, receipt });
    yield* answerFrames({
      department: call.department,
      warrantId: claims.jti,
      ciphertext,
      records: records.length,
      format: RESULT_FORMAT,
      ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}),
      trailer: { receipt },
    });
  };
}
