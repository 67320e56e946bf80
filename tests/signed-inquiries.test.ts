import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDecisionOn, signSubmission, verifyInquirySignatures, type Signer } from '../client/core/signing';
import type { InquiryView, SubmitInquiry } from '../proto/api/inquiries';
import { testUnitKey } from '../gateway/fanout/test-fixtures';
import { createTestGateway, type TestGateway, type TestUser } from '../gateway/testing/harness';
import { auditEvents, inquiryParts } from '../gateway/db/schema';
import { eq } from 'drizzle-orm';
import { createTestDirectory, type TestDirectory } from './harness/signers';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRevocationSource, type RevocationSource } from '../proto/node/revocation-source';
import { signRevocationList } from '../proto/revocation-list';

/**
 * The gateway checks the investigator's signed statement at submission and each approver's
 * signed decision before it counts (QIAO_REQUIRE_SIGNATURES=true), and shows both for the
 * client to verify itself.
 */
let gw: TestGateway;
let dir: TestDirectory;
let signers: Record<'investigator' | 'approver' | 'regional' | 'regional2', Signer & { kid: string }>;

/** The directory's list as the gateway reads it: a file, re-read by each test that publishes a new one. */
let revocations: RevocationSource;
async function publishRevocations(kids: string[], issuedSecAgo = 0): Promise<void> {
  const iat = Math.floor(Date.now() / 1000) - issuedSecAgo;
  const file = join(listDir, `revocations-${++listSerial}.jws`);
  await writeFile(file, await signRevocationList({ iss: 'qiao-directory', iat, serial: listSerial, revoked: kids.map((kid) => ({ kid, revoked_at: iat })) }, dir.privateJwk));
  revocations = createRevocationSource({ location: file, authorityJwk: dir.publicJwk, maxAgeSec: 3600, logger: { warn: () => {} } });
}
let listDir: string;
let listSerial = 0;

beforeAll(async () => {
  dir = await createTestDirectory();
  listDir = await mkdtemp(join(tmpdir(), 'qiao-revocations-'));
  await publishRevocations([]);
  gw = await createTestGateway({ env: { QIAO_REQUIRE_SIGNATURES: 'true' }, directoryAuthorityKey: dir.publicJwk, revocations: { revoked: () => revocations.revoked() } });
  signers = {
    investigator: await dir.signer(gw.units.banner, ['investigator']),
    approver: await dir.signer(gw.units.league, ['approver']),
    regional: await dir.signer(gw.units.region, ['regional_approver', 'approver']),
    regional2: await dir.signer(gw.units.region, ['regional_approver', 'approver']),
  };
});
afterAll(async () => {
  await gw?.close();
  await rm(listDir, { recursive: true, force: true });
});

const recipient = () => dir.unitKey(gw.units.banner, testUnitKey(gw.units.banner).publicJwk);

async function signedBody(overrides: Record<string, unknown> = {}, signer: Signer = signers.investigator) {
  const { subjects, ...rest } = gw.inquiryBody(overrides) as SubmitInquiry;
  const request = { ...rest, subjects: subjects.map((s) => ({ kind: s.kind, id: s.id })) } as SubmitInquiry;
  return signSubmission(request, signer, { authorityJwk: dir.publicJwk, recipient: await recipient() });
}

async function submitted(overrides: Record<string, unknown> = {}): Promise<InquiryView> {
  const res = await gw.as(gw.users.investigator).submitInquiry(await signedBody(overrides));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as InquiryView;
}

async function decide(who: TestUser, signer: Signer, id: string, verb: 'approve' | 'reject', comment = 'scope verified', tweak?: (b: Record<string, unknown>) => void) {
  const view = (await gw.as(who).getInquiry(id)).body as InquiryView;
  const body: Record<string, unknown> = { comment, signed: await signDecisionOn(view, verb, comment, signer) };
  tweak?.(body);
  return gw.as(who).call(verb === 'approve' ? 'approveInquiry' : 'rejectInquiry', { params: { id }, json: body });
}

describe('submission', () => {
  it('is stored under the id the signed statement names, with its signature in the audit entry', async () => {
    const body = await signedBody();
    const res = await gw.as(gw.users.investigator).submitInquiry(body);
    expect(res.status).toBe(201);
    const view = res.body as InquiryView;
    const claims = JSON.parse(Buffer.from(body.signed.statement.split('.')[1]!, 'base64url').toString()) as { inquiry_id: string };
    expect(view.id).toBe(claims.inquiry_id);
    expect(view.signed).toEqual({ statement: body.signed.statement, certificate: body.signed.certificate, caseSalt: body.signed.caseSalt });
    const [entry] = await gw.db.select().from(auditEvents).where(eq(auditEvents.inquiryId, view.id));
    expect((entry!.details as { signature?: { kid: string } }).signature?.kid).toBe(signers.investigator.kid);
  });

  it('is refused unsigned, signed by a key certified for another unit or role, or saying something else than the request', async () => {
    const refused = async (body: unknown, path: RegExp, who = gw.users.investigator) => {
      const res = await gw.as(who).submitInquiry(body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(JSON.stringify(res.body)).toMatch(path);
    };
    await refused(gw.inquiryBody(), /signed: an inquiry must carry the statement signed/);
    await refused(await signedBody({}, await dir.signer(gw.units.otherBanner, ['investigator'])), /certified for unit 152921, not yours/);
    await refused(await signedBody({}, signers.approver), /certified for unit 150600, not yours/);
    await refused(await signedBody({}, await dir.signer(gw.units.banner, ['approver'])), /not certified as investigator/);
    const expired = await dir.signer(gw.units.banner, ['investigator'], { nbf: 1, exp: 2 });
    await refused(await signedBody({}, expired), /is not certified now/);
    const stolen = await dir.signer(gw.units.banner, ['investigator'], { certifyKey: signers.investigator.privateJwk });
    // A certificate of someone else's key, with a statement signed by one's own: the signature fails.
    await refused(await signedBody({}, { ...stolen, privateJwk: (await dir.signer(gw.units.banner, ['investigator'])).privateJwk }), /signature does not verify/);
    const good = await signedBody();
    await refused({ ...good, legalBasis: 'another basis' }, /legal_basis differs/);
    await refused({ ...good, categories: ['household'] }, /one per category/);
    await refused({ ...good, caseReference: 'EJH-other' }, /case_commitment differs/);
    // A follow-up's parent is signed: one added to, or dropped from, the request after signing is refused.
    const parentId = '8a1f3b2c-4d5e-4f60-9a7b-8c9d0e1f2a3b';
    await refused({ ...good, parentId }, /parent_id differs/);
    const { parentId: _dropped, ...unlinked } = await signedBody({ parentId });
    await refused(unlinked, /parent_id differs/);
    await refused({ ...good, subjects: [...good.subjects, { kind: 'organisation', id: '93150627MA0N2K7P26' }] }, /must be the request's subjects/);
  });
});

describe('decisions', () => {
  it('count only when signed by a certified approver of the step, over this statement and comment', async () => {
    const view = await submitted();
    const refused = async (res: Awaited<ReturnType<typeof decide>>, message: RegExp) => {
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(JSON.stringify(res.body)).toMatch(message);
    };
    const unsigned = await gw.as(gw.users.approver).approve(view.id);
    expect(unsigned.status).toBe(400);
    expect(JSON.stringify(unsigned.body)).toMatch(/must be signed with your own key/);
    await refused(await decide(gw.users.approver, signers.approver, view.id, 'approve', 'ok', (b) => (b.comment = 'another comment')), /comment_sha256/);
    await refused(await decide(gw.users.approver, signers.regional, view.id, 'approve'), /certified for unit 150000, not yours/);
    await refused(await decide(gw.users.approver, await dir.signer(gw.units.league, ['investigator']), view.id, 'approve'), /not certified as approver/);
    const other = await submitted();
    const copied = await decide(gw.users.approver, signers.approver, other.id, 'approve');
    expect(copied.status).toBe(200);
    const moved = await gw.as(gw.users.approver).call('approveInquiry', { params: { id: view.id }, json: { comment: 'scope verified', signed: (copied.body as InquiryView).decisions[0]!.signed } });
    expect(moved.status).toBe(400);
    expect(JSON.stringify(moved.body)).toMatch(/inquiry_id must be/);

    const ok = await decide(gw.users.approver, signers.approver, view.id, 'approve');
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const final = ok.body as InquiryView;
    expect(final.decisions[0]!.signed).toBeTruthy();
    const checked = await verifyInquirySignatures(final, dir.publicJwk);
    expect(checked.statement).toMatchObject({ ok: true, kid: signers.investigator.kid, unit: gw.units.banner });
    expect(checked.decisions).toEqual([{ ok: true, kid: signers.approver.kid, unit: gw.units.league, roles: ['approver'], role: 'approver', decision: 'approve' }]);
    // A forged view (another comment than the signed one) is caught by the client itself.
    const forged = await verifyInquirySignatures({ ...final, decisions: [{ ...final.decisions[0]!, comment: 'x' }] }, dir.publicJwk);
    expect(forged.decisions[0]).toMatchObject({ ok: false, problem: /comment/ });
  });

  it('a signed rejection ends the inquiry; a highly sensitive chain takes a league and two regional signatures', async () => {
    const rejected = await decide(gw.users.approver, signers.approver, (await submitted()).id, 'reject', 'not justified');
    expect(rejected.status).toBe(200);
    expect((rejected.body as InquiryView).state).toBe('rejected');

    const view = await submitted({ categories: ['bank_transactions'] });
    expect((await decide(gw.users.approver, signers.approver, view.id, 'approve')).status).toBe(200);
    expect((await decide(gw.users.regionalApprover, signers.regional, view.id, 'approve')).status).toBe(200);
    const done = await decide(gw.users.regionalApprover2, signers.regional2, view.id, 'approve');
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect((done.body as InquiryView).state).toBe('approved');
    const checked = await verifyInquirySignatures(done.body as InquiryView, dir.publicJwk);
    expect(checked.decisions.map((d) => d?.ok && [d.unit, d.role])).toEqual([
      [gw.units.league, 'approver'],
      [gw.units.region, 'regional_approver'],
      [gw.units.region, 'regional_approver'],
    ]);
  });
});

describe('a replay of the same signed request', () => {
  // What lets the client send a signed write once more when its connection dropped before an
  // answer (client/core/api-client.ts): a first attempt that did arrive is never applied twice.
  const actionsOf = async (id: string) => (await gw.db.select().from(auditEvents).where(eq(auditEvents.inquiryId, id)).orderBy(auditEvents.id)).map((e) => e.action);

  it('is refused for a submission, an approval, the approval that completes the chain and a rejection', async () => {
    const body = await signedBody({ categories: ['household', 'bank_accounts'] });
    const first = await gw.as(gw.users.investigator).submitInquiry(body);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const again = await gw.as(gw.users.investigator).submitInquiry(body);
    expect(again.status).toBe(400);
    expect(JSON.stringify(again.body)).toMatch(/inquiry_id is already taken/);
    const id = (first.body as InquiryView).id;

    const signedDecision = async (inquiry: string, who: TestUser, signer: Signer, verb: 'approve' | 'reject') => {
      const view = (await gw.as(who).getInquiry(inquiry)).body as InquiryView;
      return { id: inquiry, comment: 'scope verified', signed: await signDecisionOn(view, verb, 'scope verified', signer) };
    };
    /** The same signed body sent twice, as the client's retry would. */
    const twice = async (who: TestUser, verb: 'approve' | 'reject', { id: inquiry, ...json }: { id: string }) => {
      const send = () => gw.as(who).call(verb === 'approve' ? 'approveInquiry' : 'rejectInquiry', { params: { id: inquiry }, json });
      const first = await send();
      return [first, await send()] as const;
    };

    const [added, addedAgain] = await twice(gw.users.approver, 'approve', await signedDecision(id, gw.users.approver, signers.approver, 'approve'));
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(addedAgain.status).toBe(403);
    expect(JSON.stringify(addedAgain.body)).toMatch(/you have already decided this inquiry/);

    const [approved, approvedAgain] = await twice(gw.users.regionalApprover, 'approve', await signedDecision(id, gw.users.regionalApprover, signers.regional, 'approve'));
    expect((approved.body as InquiryView).state).toBe('approved');
    expect(approvedAgain.status).toBe(409);
    expect(JSON.stringify(approvedAgain.body)).toMatch(/the inquiry is already approved/);

    const view = (await gw.as(gw.users.investigator).getInquiry(id)).body as InquiryView;
    expect(view.decisions.map((d) => d.decision)).toEqual(['approve', 'approve']);
    expect((await gw.db.select().from(inquiryParts).where(eq(inquiryParts.inquiryId, id))).map((p) => p.department).sort()).toEqual(['bank', 'public_security']);
    expect(await actionsOf(id)).toEqual(['inquiry.submitted', 'inquiry.approval_added', 'authorization.denied', 'inquiry.approved']);

    const other = (await submitted()).id;
    const [rejected, rejectedAgain] = await twice(gw.users.approver, 'reject', await signedDecision(other, gw.users.approver, signers.approver, 'reject'));
    expect((rejected.body as InquiryView).state).toBe('rejected');
    expect(rejectedAgain.status).toBe(409);
    expect(JSON.stringify(rejectedAgain.body)).toMatch(/the inquiry is already rejected/);
    expect(((await gw.as(gw.users.investigator).getInquiry(other)).body as InquiryView).decisions).toHaveLength(1);
  });
});

describe('the revocation list', () => {
  const denials = async (inquiryId?: string) =>
    (await gw.db.select().from(auditEvents).where(eq(auditEvents.action, 'authorization.denied')))
      .filter((e) => (inquiryId ? e.inquiryId === inquiryId : true))
      .map((e) => e.details as { attempted: string; reason: string });

  it('refuses a submission and a decision signed by a revoked key, 403 with an audit entry, from the same signed list departments read', async () => {
    const revokedInvestigator = await dir.signer(gw.units.banner, ['investigator']);
    const pending = await submitted();
    await publishRevocations([revokedInvestigator.kid, signers.approver.kid]);
    try {
      const res = await gw.as(gw.users.investigator).submitInquiry(await signedBody({}, revokedInvestigator));
      expect(res.status, JSON.stringify(res.body)).toBe(403);
      expect(JSON.stringify(res.body)).toContain(`signing key ${revokedInvestigator.kid} is on the directory's revocation list`);
      expect((await denials()).some((d) => d.attempted === 'inquiry.submit' && d.reason.includes(revokedInvestigator.kid))).toBe(true);

      const approved = await decide(gw.users.approver, signers.approver, pending.id, 'approve');
      expect(approved.status, JSON.stringify(approved.body)).toBe(403);
      expect(JSON.stringify(approved.body)).toContain(`signing key ${signers.approver.kid} is on the directory's revocation list`);
      expect(await denials(pending.id)).toEqual([expect.objectContaining({ attempted: 'inquiry.approve', reason: expect.stringContaining(signers.approver.kid) })]);
      expect(((await gw.as(gw.users.investigator).getInquiry(pending.id)).body as InquiryView).decisions).toEqual([]);
    } finally {
      await publishRevocations([]);
    }
    expect((await decide(gw.users.approver, signers.approver, pending.id, 'approve')).status).toBe(200);
  });

  it('fails closed while the freshest list is older than allowed', async () => {
    await publishRevocations([], 7200);
    try {
      const res = await gw.as(gw.users.investigator).submitInquiry(await signedBody());
      expect(res.status, JSON.stringify(res.body)).toBe(503);
      expect(JSON.stringify(res.body)).toMatch(/cannot check signing keys against the directory's revocation list: the freshest revocation list is \d+ s old, more than the 3600 s allowed/);
    } finally {
      await publishRevocations([]);
    }
    expect((await gw.as(gw.users.investigator).submitInquiry(await signedBody())).status).toBe(201);
  });
});
