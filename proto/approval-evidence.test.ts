import type { JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { EvidenceError, verifyEvidence, type EvidenceErrorCode, type WarrantEvidence } from './approval-evidence';
import { canonicalJson } from './canonical-json';
import { commentDigest, signDecision, type DecisionClaims } from './decision';
import { disclosureDigest, signStatement, statementDigest, type StatementClaims } from './inquiry-statement';
import { decodeBase64url, decodeUtf8 } from './bytes';
import { RevocationListError, signRevocationList, verifyRevocationList, type RevocationListClaims } from './revocation-list';
import { signSignerCertificate, verifySignerCertificate, type SignerCertificateClaims } from './signer-certificate';
import { residentIdCheckChar } from './subjects';
import v from './vectors/approvals-v1.json';
import { jwkPair, newEd25519PrivateKey } from './node/keys';

const authority = v.authorityPublicJwk as JWK;
const authorityPrivate = (await import('./vectors/key-certificate-v1.json')).default.privateJwk as JWK;
const scope = v.scope as Parameters<typeof verifyEvidence>[0];
const evidence = v.evidence as WarrantEvidence;
const opts = { authorityJwk: authority, revoked: new Set<string>() };
const S = v.signers;

async function refused(code: EvidenceErrorCode, e: WarrantEvidence, s = scope, o = opts) {
  const error = await verifyEvidence(s, e, o).then(() => undefined, (err: unknown) => err);
  expect(error, `expected ${code}`).toBeInstanceOf(EvidenceError);
  expect((error as EvidenceError).code).toBe(code);
}

const payload = (jws: string) => decodeUtf8(decodeBase64url(jws.split('.')[1]!));
const decisionOf = (i: number) => v.approvals[i]!.claims as DecisionClaims;
const withApprovals = (approvals: WarrantEvidence['approvals']): WarrantEvidence => ({ ...evidence, approvals });

async function freshKey(kid: string) {
  const { publicJwk: bare, privateJwk } = jwkPair(newEd25519PrivateKey());
  const publicJwk = { ...bare, kid, alg: 'EdDSA' };
  return { publicJwk, privateJwk: { ...publicJwk, d: privateJwk.d } };
}

describe('approval vectors', () => {
  it('every payload is the RFC 8785 form of its claims, and signing reproduces every JWS', async () => {
    expect(payload(v.statement)).toBe(canonicalJson(v.statementClaims));
    expect(await signStatement(v.statementClaims as StatementClaims, S.investigator.privateJwk as JWK)).toBe(v.statement);
    for (const a of v.approvals) expect(payload(a.decision)).toBe(canonicalJson(a.claims));
    for (const s of Object.values(S)) {
      expect(payload(s.certificate)).toBe(canonicalJson(s.claims));
      expect(await signSignerCertificate(s.claims as SignerCertificateClaims, authorityPrivate)).toBe(s.certificate);
      expect(await verifySignerCertificate(s.certificate, authority)).toEqual(s.claims);
    }
    for (const d of v.disclosures) expect(disclosureDigest(d as never)).toBe(v.disclosureDigests[d.category as keyof typeof v.disclosureDigests]);
    expect(statementDigest(v.statement)).toBe(v.statementSha256);
    // A follow-up names its parent in the signed claims; without it a statement is the same v1 as before.
    expect(payload(v.followUp.statement)).toBe(canonicalJson(v.followUp.statementClaims));
    expect(await signStatement(v.followUp.statementClaims as StatementClaims, S.investigator.privateJwk as JWK)).toBe(v.followUp.statement);
    expect(v.followUp.statementClaims.parent_id).toBe(v.statementClaims.inquiry_id);
    expect('parent_id' in v.statementClaims).toBe(false);
    expect(await verifyRevocationList(v.revocationList, { authorityJwk: authority })).toEqual(v.revocationClaims);
  });

  it("verifies the public_security warrant's evidence: investigator and three distinct approvers", async () => {
    const verified = await verifyEvidence(scope, evidence, opts);
    expect(verified.investigator).toEqual({ kid: S.investigator.claims.kid, unit: '150627' });
    expect(verified.approvals.map((a) => [a.kid, a.unit, a.role, a.step])).toEqual([
      [S.league.claims.kid, '150600', 'approver', 0],
      [S.region1.claims.kid, '150000', 'regional_approver', 1],
      [S.region2.claims.kid, '150000', 'regional_approver', 1],
    ]);
  });
});

describe('what a compromised gateway cannot make a department accept', () => {
  it('no evidence at all', async () => {
    await refused('evidence_missing', undefined as never);
  });

  it('an approval it signed itself, under a genuine certificate or one it made', async () => {
    const gw = await freshKey(S.league.claims.kid);
    const forged = await signDecision(decisionOf(0), gw.privateJwk);
    await refused('decision_invalid', withApprovals([{ decision: forged, certificate: S.league.certificate }]));
    const ownCert = await signSignerCertificate({ ...(S.league.claims as SignerCertificateClaims), key: { kty: 'OKP', crv: 'Ed25519', x: gw.publicJwk.x! } }, gw.privateJwk);
    await refused('signer_not_certified', withApprovals([{ decision: forged, certificate: ownCert }]));
  });

  it('an approval copied from another inquiry', async () => {
    const other = { ...(v.statementClaims as StatementClaims), inquiry_id: '00000000-0000-4000-8000-000000000001' };
    const otherStatement = await signStatement(other, S.investigator.privateJwk as JWK);
    const copied = await signDecision({ ...decisionOf(0), inquiry_id: other.inquiry_id, statement_sha256: statementDigest(otherStatement) }, S.league.privateJwk as JWK);
    await refused('decision_other_inquiry', withApprovals([{ decision: copied, certificate: S.league.certificate }, ...evidence.approvals.slice(1)]));
  });

  it('subjects or categories widened after approval', async () => {
    const more = { ...scope, subjects: [...scope.subjects, { kind: 'person' as const, id: `15062719900101001${residentIdCheckChar('15062719900101001')}` }] };
    await refused('warrant_outside_statement', evidence, more);
    await refused('warrant_outside_statement', evidence, { ...scope, categories: ['household', 'vehicles'] });
    const widened = { ...evidence, disclosures: [{ ...evidence.disclosures[0]!, subjects: more.subjects }] };
    await refused('warrant_outside_statement', widened, more);
    const [h, , sig] = v.statement.split('.');
    const edited = `${h}.${Buffer.from(canonicalJson({ ...v.statementClaims, legal_basis: 'x' })).toString('base64url')}.${sig}`;
    await refused('statement_invalid', { ...evidence, statement: edited });
    await refused('warrant_outside_statement', evidence, { ...scope, recipient: { unit: '150600', key: scope.recipient.key } });
  });

  it('the same approver twice, or the submitter approving', async () => {
    await refused('approver_counted_twice', withApprovals([evidence.approvals[0]!, evidence.approvals[1]!, evidence.approvals[1]!]));
    // The investigator's key certified as an approver too, used to approve its own statement.
    const both = await signSignerCertificate({ ...(S.investigator.claims as SignerCertificateClaims), unit: '150600', roles: ['investigator', 'approver'] }, authorityPrivate);
    const own = await signDecision(decisionOf(0), S.investigator.privateJwk as JWK);
    const withBoth = { ...evidence, statement: await signStatement({ ...(v.statementClaims as StatementClaims), unit: '150600', recipient: { ...v.statementClaims.recipient, unit: '150600' } }, S.investigator.privateJwk as JWK), statement_certificate: both };
    const ownDecision = await signDecision({ ...decisionOf(0), statement_sha256: statementDigest(withBoth.statement) }, S.investigator.privateJwk as JWK);
    await refused('approver_is_submitter', { ...withBoth, approvals: [{ decision: ownDecision, certificate: both }] }, { ...scope, recipient: { ...scope.recipient, unit: '150600' } });
    expect(own).toBeTruthy();
  });

  it('a revoked or expired approver key', async () => {
    await refused('signer_revoked', evidence, scope, { ...opts, revoked: new Set([S.region2.claims.kid]) });
    const lapsed = await signSignerCertificate({ ...(S.region2.claims as SignerCertificateClaims), exp: decisionOf(2).iat }, authorityPrivate);
    await refused('signer_certificate_expired', withApprovals([...evidence.approvals.slice(0, 2), { decision: evidence.approvals[2]!.decision, certificate: lapsed }]));
  });

  it('a key certified for another unit or role', async () => {
    const alxa = await signSignerCertificate({ ...(S.league.claims as SignerCertificateClaims), unit: '152900' }, authorityPrivate);
    await refused('signer_wrong_unit', withApprovals([{ decision: evidence.approvals[0]!.decision, certificate: alxa }]));
    const asInvestigator = await signSignerCertificate({ ...(S.region2.claims as SignerCertificateClaims), roles: ['approver'] }, authorityPrivate);
    await refused('signer_wrong_role', withApprovals([...evidence.approvals.slice(0, 2), { decision: evidence.approvals[2]!.decision, certificate: asInvestigator }]));
    // An approver's key signing the statement.
    const st = await signStatement(v.statementClaims as StatementClaims, S.league.privateJwk as JWK);
    await refused('signer_wrong_role', { ...evidence, statement: st, statement_certificate: S.league.certificate });
  });

  it('a statement re-signed by its own key', async () => {
    const gw = await freshKey(S.investigator.claims.kid);
    const resigned = await signStatement(v.statementClaims as StatementClaims, gw.privateJwk);
    await refused('statement_invalid', { ...evidence, statement: resigned });
    const gwCert = await signSignerCertificate({ ...(S.investigator.claims as SignerCertificateClaims), key: { kty: 'OKP', crv: 'Ed25519', x: gw.publicJwk.x! } }, gw.privateJwk);
    await refused('signer_not_certified', { ...evidence, statement: resigned, statement_certificate: gwCert });
  });
});

describe('revocation list', () => {
  it('is refused when older than the limit, or not the authority’s', async () => {
    const now = new Date((v.revocationClaims.iat + 3601) * 1000);
    await expect(verifyRevocationList(v.revocationList, { authorityJwk: authority, now, maxAgeSec: 3600 })).rejects.toMatchObject({ code: 'stale' });
    const other = await freshKey(authority.kid!);
    const fake = await signRevocationList({ ...(v.revocationClaims as RevocationListClaims), revoked: [] }, other.privateJwk);
    await expect(verifyRevocationList(fake, { authorityJwk: authority })).rejects.toBeInstanceOf(RevocationListError);
  });
  it('comment digests are of the UTF-8 bytes', () => {
    expect(v.approvals[0]!.claims.comment_sha256).toBe(commentDigest(v.approvals[0]!.comment));
  });
});
