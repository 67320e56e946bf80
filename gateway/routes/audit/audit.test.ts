import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditLeafHash,
  CheckpointAnswer,
  ConsistencyProofAnswer,
  decodeProof,
  EntriesAnswer,
  InclusionProofAnswer,
  parseAuditEntry,
} from '../../../proto/audit-log';
import { noteSigner, openCheckpoint, parseVerifierKey, verifierKeyString } from '../../../proto/checkpoint';
import { verifyConsistency, verifyInclusion } from '../../../proto/merkle';
import { createApp } from '../../app';
import { auditEvents, users } from '../../db/schema';
import { appendAudit } from '../../services/audit/append-audit';
import { exampleAuditEntry } from '../../testing/audit-entries';
import { createCheckpoint } from '../../services/audit/checkpoints';
import { createTokenVerifier } from '../../auth/verify-token';
import { request } from '../../testing/api-client';
import { TEST_AUDIENCE, TEST_ISSUER } from '../../testing/test-issuer';
import { createTestGateway, type TestGateway } from '../../testing/harness';
import { newEd25519PrivateKey } from '../../../proto/node/keys';

const ORIGIN = 'test.qiao/audit';
const signing = { origin: ORIGIN, signer: await noteSigner(ORIGIN, newEd25519PrivateKey().export({ format: 'jwk' })) };
const verifier = parseVerifierKey(verifierKeyString(ORIGIN, signing.signer.publicKey));

let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway();
  await gw.db.update(users).set({ department: 'public_security' }).where(eq(users.id, gw.users.departmentOperator.id));
  await gw.db.transaction(async (tx) => {
    for (const [i, department] of ['public_security', 'natural_resources', 'public_security'].entries()) {
      await appendAudit(tx, exampleAuditEntry('warrant.issued', { details: { department, warrantId: `w-${i}`, sha256: 'ab'.repeat(32) } }), gw.audit);
    }
  });
});
afterAll(() => gw?.close());

describe('GET /v1/audit/*', () => {
  it('an auditor reads the signed checkpoint, every entry, and proofs that verify against it', async () => {
    const first = await createCheckpoint(gw.db, signing);
    await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody());
    await createCheckpoint(gw.db, signing);
    const auditor = gw.as(gw.users.auditor);

    const cpRes = await auditor.request<CheckpointAnswer>('GET', '/v1/audit/checkpoint');
    expect(cpRes.status).toBe(200);
    const cp = await openCheckpoint(CheckpointAnswer.parse(cpRes.body).checkpoint, verifier, ORIGIN);
    expect(cp.size).toBe(first.size + 1);

    const listing = EntriesAnswer.parse((await auditor.request('GET', `/v1/audit/entries?start=0&end=${cp.size}`)).body);
    expect(listing.entries.map((e) => e.index)).toEqual(Array.from({ length: cp.size }, (_, i) => i));
    expect(parseAuditEntry(listing.entries[cp.size - 1]!.entry).action).toBe('inquiry.submitted');
    for (const { index, entry } of listing.entries) {
      const proof = InclusionProofAnswer.parse((await auditor.request('GET', `/v1/audit/proofs/inclusion?index=${index}&size=${cp.size}`)).body);
      verifyInclusion(index, cp.size, auditLeafHash(entry), decodeProof(proof.proof), cp.root);
    }
    const consistency = ConsistencyProofAnswer.parse((await auditor.request('GET', `/v1/audit/proofs/consistency?from=${first.size}&to=${cp.size}`)).body);
    verifyConsistency(first.size, cp.size, first.root, cp.root, decodeProof(consistency.proof));
  });

  it('a department operator reads its own department’s entries, and is refused (and logged) for another’s', async () => {
    await createCheckpoint(gw.db, signing); // the one it reads
    const operator = gw.as(gw.users.departmentOperator);
    const own = await operator.request<EntriesAnswer>('GET', '/v1/audit/entries?department=public_security');
    expect(own.status).toBe(200);
    expect(own.body.entries.map((e) => parseAuditEntry(e.entry).details.warrantId)).toEqual(['w-0', 'w-2']);
    expect((await operator.request('GET', '/v1/audit/checkpoint')).status).toBe(200);

    for (const path of ['/v1/audit/entries?department=natural_resources', '/v1/audit/entries']) {
      const res = await operator.request('GET', path);
      expect(res.status).toBe(403);
      expect(res.error?.code).toBe('permission_denied');
    }
    const denied = await gw.db.select().from(auditEvents).where(eq(auditEvents.actorUserId, gw.users.departmentOperator.id));
    expect(denied.map((d) => [d.action, d.details.attempted])).toEqual([
      ['authorization.denied', 'audit.read_entries'],
      ['authorization.denied', 'audit.read_entries'],
    ]);
  });

  it('refuses investigators and approvers, and callers without a token', async () => {
    for (const user of [gw.users.investigator, gw.users.approver, gw.users.administrator]) {
      expect((await gw.as(user).request('GET', '/v1/audit/entries')).status).toBe(403);
    }
    for (const user of [gw.users.investigator, gw.users.approver]) {
      expect((await gw.as(user).request('GET', '/v1/audit/proofs/consistency?from=0&to=1')).status).toBe(403);
    }
    expect((await gw.as(null).request('GET', '/v1/audit/checkpoint')).status).toBe(401);
  });

  it('refuses proofs beyond the log and malformed numbers with a message naming the field', async () => {
    const auditor = gw.as(gw.users.auditor);
    const beyond = await auditor.request('GET', '/v1/audit/proofs/inclusion?index=0&size=999999');
    expect(beyond.status).toBe(400);
    expect(beyond.error?.message).toMatch(/the log has \d+ entries, not 999999/);
    const bad = await auditor.request('GET', '/v1/audit/proofs/consistency?from=x&to=2');
    expect(bad.status).toBe(400);
    expect(bad.error?.message).toMatch(/^from:/);
  });

  it('signs a checkpoint on demand when the gateway has the key, and says so when it has not', async () => {
    const keyless = await gw.as(gw.users.auditor).request('POST', '/v1/audit/checkpoint');
    expect([keyless.status, keyless.error?.message]).toEqual([409, 'this gateway has no checkpoint signing key configured']);
    expect((await gw.as(gw.users.investigator).request('POST', '/v1/audit/checkpoint')).status).toBe(403);
    const app = createApp({ ...appDeps(gw), auditCheckpoints: signing });
    await gw.db.transaction((tx) => appendAudit(tx, exampleAuditEntry('part.failed', { details: { department: 'natural_resources' } }), gw.audit));
    const res = await request<CheckpointAnswer & { created: boolean }>(app, 'POST', '/v1/audit/checkpoint', { token: gw.users.auditor.token });
    expect(res.status).toBe(200);
    expect(res.body.created).toBe(true);
    expect((await openCheckpoint(res.body.checkpoint, verifier, ORIGIN)).size).toBe(res.body.size);
  });
});

/** The harness's app dependencies, to build a second app over the same database with a signing key. */
function appDeps(t: TestGateway) {
  return {
    config: t.config,
    db: t.db,
    logger: t.logger,
    catalogue: t.catalogue,
    policy: t.policy,
    approvals: t.approvals,
    tokens: createTokenVerifier({ jwks: t.tokens.publicJwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE }),
    fanout: t.fanout,
    results: { openResultStream: () => (async function* () {})() },
    audit: t.audit,
  };
}
