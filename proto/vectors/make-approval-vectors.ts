/**
 * Writes proto/vectors/approvals-v1.json: `npx tsx proto/vectors/make-approval-vectors.ts`.
 * Signing keys and certificates of one investigator and three approvers, the investigator's
 * statement with its disclosures and salts, three signed approvals, a revocation list, and the
 * evidence a public_security warrant carries. Keys and salts are read back from the file once it
 * exists, and Ed25519 is deterministic, so re-running reproduces every JWS.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { JWK } from 'jose';
import type { WarrantEvidence } from '../approval-evidence';
import { commentDigest, signDecision, type DecisionClaims } from '../decision';
import { caseCommitment, disclosureDigest, recipientKeyThumbprint, signStatement, statementDigest, type Disclosure, type StatementClaims } from '../inquiry-statement';
import { KEY_CERT_ISSUER } from '../key-certificate';
import { signRevocationList, type RevocationListClaims } from '../revocation-list';
import { signSignerCertificate, type SignerCertificateClaims, type SignerRole } from '../signer-certificate';
import { newEd25519SigningJwks } from '../node/keys';

const file = new URL('./approvals-v1.json', import.meta.url);
type Pair = { privateJwk: JWK; publicJwk: JWK };
const old = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>) : undefined;

async function keyPair(kid: string, existing: Pair | undefined): Promise<Pair> {
  if (existing) return existing;
  return newEd25519SigningJwks(kid);
}

const keyCertVector = JSON.parse(readFileSync(new URL('./key-certificate-v1.json', import.meta.url), 'utf8')) as { privateJwk: JWK; publicJwk: JWK; claims: { key: JWK } };
const authority: Pair = { privateJwk: keyCertVector.privateJwk, publicJwk: keyCertVector.publicJwk };
const NBF = 1714000000;
const EXP = 1746000000;

async function signer(name: string, kid: string, unit: string, roles: SignerRole[]) {
  const pair = await keyPair(kid, old?.signers?.[name]);
  const claims: SignerCertificateClaims = { iss: KEY_CERT_ISSUER, kid, unit, roles, key: { kty: 'OKP', crv: 'Ed25519', x: pair.publicJwk.x! }, nbf: NBF, exp: EXP };
  return { ...pair, claims, certificate: await signSignerCertificate(claims, authority.privateJwk) };
}

const signers = {
  investigator: await signer('investigator', 'sk-7f3a9c21d4e8b605', '150627', ['investigator']),
  league: await signer('league', 'sk-2b81e5f0a9c34d17', '150600', ['approver']),
  region1: await signer('region1', 'sk-c40d6a1e93f2b758', '150000', ['regional_approver', 'approver']),
  region2: await signer('region2', 'sk-9e15b7c2f08a6d34', '150000', ['regional_approver', 'approver']),
};

const subjects = [{ kind: 'person' as const, id: '150627196803120034' }];
const salts = old?.salts ?? { case: 'yQ3r8Zk1c2VbN7mP0aTq5w', household: 'kP9sLx2Qe7Rt4Vn1Ab6Cdw', real_estate: 'Zt6Yh3Gm8Qw2Ex5Rc1Vb9g', bank_transactions: 'Hn4Jd7Ks2Lq9Pw3Mx6Nb1f' };
const disclosures: Disclosure[] = ['household', 'real_estate', 'bank_transactions'].map((category) => ({ category, subjects, salt: salts[category] }));
const caseReference = 'EJH-2019-031';
const statementClaims: StatementClaims = {
  v: 1,
  inquiry_id: '5d2c8f0e-7a41-4b9c-8e3f-1c2d3e4f5a6b',
  unit: '150627',
  legal_basis: '《中华人民共和国监察法》第十八条 (Supervision Law of the PRC, art. 18)',
  case_commitment: caseCommitment(caseReference, salts.case),
  recipient: { unit: '150627', key_thumbprint: await recipientKeyThumbprint(keyCertVector.claims.key) },
  disclosures: disclosures.map(disclosureDigest).sort(),
  iat: 1715000000,
};
const statement = await signStatement(statementClaims, signers.investigator.privateJwk);
// A follow-up inquiry's statement: the same request but its own id, naming its parent.
const followUpClaims: StatementClaims = { ...statementClaims, inquiry_id: '8a1f3b2c-4d5e-4f60-9a7b-8c9d0e1f2a3b', parent_id: statementClaims.inquiry_id, iat: 1715000200 };
const followUp = { statementClaims: followUpClaims, statement: await signStatement(followUpClaims, signers.investigator.privateJwk) };
const decide = async (who: keyof typeof signers, step: number, role: SignerRole, comment: string, iat: number) => {
  const claims: DecisionClaims = { v: 1, inquiry_id: statementClaims.inquiry_id, statement_sha256: statementDigest(statement), decision: 'approve', step, role, comment_sha256: commentDigest(comment), iat };
  return { comment, claims, decision: await signDecision(claims, signers[who].privateJwk), certificate: signers[who].certificate };
};
const approvals = [
  await decide('league', 0, 'approver', 'approved for case EJH-2019-031', 1715000030),
  await decide('region1', 1, 'regional_approver', 'bank data justified', 1715000040),
  await decide('region2', 1, 'regional_approver', 'agreed', 1715000050),
];
const revocationClaims: RevocationListClaims = { iss: KEY_CERT_ISSUER, iat: 1715000000, serial: 7, revoked: [{ kid: 'sk-0000dead0000beef', revoked_at: 1714900000 }] };
const evidence: WarrantEvidence = {
  statement,
  statement_certificate: signers.investigator.certificate,
  disclosures: disclosures.filter((d) => d.category === 'household'),
  approvals: approvals.map(({ decision, certificate }) => ({ decision, certificate })),
};

writeFileSync(file, `${JSON.stringify({
  description:
    'Signing-key certificates (authority = key-certificate-v1.json publicJwk), an inquiry statement with its disclosures, three signed approvals, a revocation list, the statement of a follow-up naming its parent (`followUp`, optional `parent_id`), and the `evidence` member of a public_security warrant for `scope` (that department serves household only). Verify at Unix time `verifyAt`. Every payload is the RFC 8785 form of its `claims`; Ed25519 is deterministic, so signing the claims with the private keys reproduces each JWS.',
  verifyAt: 1715000100,
  authorityPublicJwk: authority.publicJwk,
  signers,
  caseReference,
  salts,
  disclosures,
  disclosureDigests: Object.fromEntries(disclosures.map((d) => [d.category, disclosureDigest(d)])),
  statementClaims,
  statement,
  statementSha256: statementDigest(statement),
  approvals,
  revocationClaims,
  revocationList: await signRevocationList(revocationClaims, authority.privateJwk),
  followUp,
  scope: { inquiry_id: statementClaims.inquiry_id, legal_basis: statementClaims.legal_basis, subjects, categories: ['household'], recipient: { unit: '150627', key: keyCertVector.claims.key } },
  evidence,
}, null, 2)}\n`);
console.log('wrote approvals-v1.json');
