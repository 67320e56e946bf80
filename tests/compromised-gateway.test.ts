import { status } from '@grpc/grpc-js';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFUSAL_METADATA_KEY } from '../adapters/kit';
import { connectDepartment, executeAll, testSigner, warrantClaims, type TestSigner } from '../adapters/kit/testing';
import { waitForResults } from '../client/core/results';
import type { WarrantEvidence } from '../proto/approval-evidence';
import { commentDigest, signDecision } from '../proto/decision';
import { caseCommitment, disclosureDigest, makeDisclosures, newSalt, recipientKeyThumbprint, signStatement, statementDigest, type Disclosure } from '../proto/inquiry-statement';
import { signSignerCertificate, type SignerRole } from '../proto/signer-certificate';
import { signWarrant, type WarrantClaims } from '../proto/warrant';
import catalogue from '../policies/categories.json';
import { bootFederation, type Federation } from './harness/federation';

/**
 * A compromised gateway: it holds the warrant key and the database, so every warrant it signs
 * verifies. It has no investigator's or approver's private key and not the directory
 * authority's. Each attack below is sent to every department, and every department refuses it
 * with its own code; the honest path still runs at every sensitivity and entrusted.
 */
const LI = '150627196803120034';
const SON = '150627199002150018';
const REVOKED = 'sk-revoked-regional-01';
/** One category each department serves, and one more it serves that the statement does not ask for. */
const SERVED = {
  public_security: { asked: 'household', extra: 'household_members' },
  natural_resources: { asked: 'real_estate', extra: 'grassland_contracts' },
  bank: { asked: 'bank_transactions', extra: 'bank_accounts' },
} as const;
const fields = (category: string) => [...catalogue.categories[category as keyof typeof catalogue.categories].fields];
type Department = keyof typeof SERVED;
const DEPARTMENTS = Object.keys(SERVED) as Department[];

let fed: Federation;
beforeAll(async () => {
  fed = await bootFederation({ revoke: [REVOKED] });
});
afterAll(() => fed?.close());

/** A demo user's own key (the attacker does not have it: the test plays the users). */
const user = (username: string): TestSigner => {
  const s = fed.pki.signers[username]!;
  return { kid: s.claims.kid, claims: s.claims, privateJwk: s.privateJwk, certificate: s.certificate };
};
const attackerKey = (kid: string): JWK => ({ ...fed.pki.warrantKey.privateJwk, kid });

interface Inquiry {
  id: string;
  unit: string;
  statement: string;
  investigator: TestSigner;
  disclosures: Disclosure[];
}

/** An honest statement of unit `unit`'s investigator: Li, one category per department. */
async function statementBy(investigator: TestSigner, unit = '150627', signWith: JWK = investigator.privateJwk): Promise<Inquiry> {
  const id = crypto.randomUUID();
  const disclosures = DEPARTMENTS.flatMap((d) => makeDisclosures([SERVED[d].asked], [{ kind: 'person', id: LI }]));
  const statement = await signStatement(
    {
      v: 1,
      inquiry_id: id,
      unit,
      legal_basis: 'Supervision Law art. 18',
      case_commitment: caseCommitment('EJH-2019-031', newSalt()),
      recipient: { unit, key_thumbprint: await recipientKeyThumbprint(fed.pki.units[unit]!.publicJwk) },
      disclosures: disclosures.map(disclosureDigest).sort(),
      iat: Math.floor(Date.now() / 1000) - 60,
    },
    signWith,
  );
  return { id, unit, statement, investigator, disclosures };
}

const approval = async (inquiry: Inquiry, by: TestSigner, step: number, role: SignerRole, o: { signWith?: JWK; certificate?: string } = {}) => ({
  decision: await signDecision(
    { v: 1, inquiry_id: inquiry.id, statement_sha256: statementDigest(inquiry.statement), decision: 'approve', step, role, comment_sha256: commentDigest('approved'), iat: Math.floor(Date.now() / 1000) - 30 },
    o.signWith ?? by.privateJwk,
  ),
  certificate: o.certificate ?? by.certificate,
});

/** The honest chain of a highly sensitive inquiry: Ordos City, then two regional approvers. */
const honestApprovals = async (inquiry: Inquiry) => [
  await approval(inquiry, user('appr.ordos'), 0, 'approver'),
  await approval(inquiry, user('appr.region'), 1, 'regional_approver'),
  await approval(inquiry, user('appr2.region'), 1, 'regional_approver'),
];

function claimsFor(department: Department, inquiry: Inquiry, approvals: WarrantEvidence['approvals'], o: { subjects?: string[]; categories?: string[]; evidence?: Partial<WarrantEvidence> } = {}): WarrantClaims {
  const categories = o.categories ?? [SERVED[department].asked];
  const unitKey = fed.pki.units[inquiry.unit]!;
  return {
    ...warrantClaims({
      aud: department,
      subjects: (o.subjects ?? [LI]).map((id) => ({ kind: 'person' as const, id })),
      categories: Object.fromEntries(categories.map((c) => [c, fields(c)])),
      recipientKey: unitKey.publicJwk,
      keyCertificate: unitKey.keyCertificate,
    }),
    inquiry_id: inquiry.id,
    legal_basis: 'Supervision Law art. 18',
    recipient: { unit: inquiry.unit, key: unitKey.publicJwk as WarrantClaims['recipient']['key'], key_certificate: unitKey.keyCertificate },
    evidence: {
      statement: inquiry.statement,
      statement_certificate: inquiry.investigator.certificate,
      disclosures: inquiry.disclosures.filter((d) => categories.includes(d.category) || d.category === SERVED[department].asked),
      approvals,
      ...o.evidence,
    },
  };
}

async function send(department: Department, claims: WarrantClaims) {
  const client = connectDepartment(fed.adapters[department]!.port, department, { ca: fed.pki.caCert, ...fed.pki.gatewayClient });
  try {
    const { frames, error } = await executeAll(client, await signWarrant(claims, { privateJwk: fed.pki.warrantKey.privateJwk }));
    return { frames: frames.length, code: error?.code ?? status.OK, refusal: error?.metadata.get(REFUSAL_METADATA_KEY)[0] };
  } finally {
    client.close();
  }
}

/** Every department refuses with `refusal`, nothing served. */
async function refusedByAll(refusal: string, build: (department: Department) => Promise<WarrantClaims> | WarrantClaims) {
  for (const department of DEPARTMENTS) {
    expect(await send(department, await build(department)), `${department}`).toEqual({ frames: 0, code: status.PERMISSION_DENIED, refusal });
  }
}

describe('a compromised gateway holding the warrant key and the database', () => {
  it('sanity: the honest evidence is served by every department', async () => {
    const inquiry = await statementBy(user('inv.ejinhoro'));
    const approvals = await honestApprovals(inquiry);
    for (const department of DEPARTMENTS) {
      const answer = await send(department, claimsFor(department, inquiry, approvals));
      expect(answer.code, `${department}: ${answer.refusal}`).toBe(status.OK);
      expect(answer.frames).toBeGreaterThan(0);
    }
  });

  it('cannot invent an approval: signed with its own key under an approver’s certificate, or under a certificate it made', async () => {
    const inquiry = await statementBy(user('inv.ejinhoro'));
    const [, r1, r2] = await honestApprovals(inquiry);
    const ordos = user('appr.ordos');
    const forged = await approval(inquiry, ordos, 0, 'approver', { signWith: attackerKey(ordos.kid) });
    await refusedByAll('decision_invalid', (d) => claimsFor(d, inquiry, [forged, r1!, r2!]));
    const ownCert = await signSignerCertificate({ ...ordos.claims, key: { kty: 'OKP', crv: 'Ed25519', x: fed.pki.warrantKey.privateJwk.x! } }, attackerKey(fed.pki.directoryAuthority.publicJwk.kid!));
    await refusedByAll('signer_not_certified', (d) => claimsFor(d, inquiry, [{ ...forged, certificate: ownCert }, r1!, r2!]));
  });

  it('cannot reuse an approval from another inquiry', async () => {
    const inquiry = await statementBy(user('inv.ejinhoro'));
    const other = await statementBy(user('inv.ejinhoro'));
    const [, r1, r2] = await honestApprovals(inquiry);
    const copied = await approval(other, user('appr.ordos'), 0, 'approver');
    await refusedByAll('decision_other_inquiry', (d) => claimsFor(d, inquiry, [copied, r1!, r2!]));
  });

  it('cannot widen the subjects or categories after approval', async () => {
    const inquiry = await statementBy(user('inv.ejinhoro'));
    const approvals = await honestApprovals(inquiry);
    await refusedByAll('warrant_outside_statement', (d) => claimsFor(d, inquiry, approvals, { subjects: [LI, SON] }));
    await refusedByAll('warrant_outside_statement', (d) => claimsFor(d, inquiry, approvals, { categories: [SERVED[d].asked, SERVED[d].extra] }));
    // Rewriting the disclosure to match breaks its digest; rewriting the statement breaks its signature.
    await refusedByAll('warrant_outside_statement', (d) => {
      const c = claimsFor(d, inquiry, approvals, { subjects: [LI, SON] });
      c.evidence!.disclosures = c.evidence!.disclosures.map((x) => ({ ...x, subjects: [...x.subjects, { kind: 'person', id: SON }] }));
      return c;
    });
  });

  it('cannot count one approver twice, nor have the submitter approve', async () => {
    const inquiry = await statementBy(user('inv.ejinhoro'));
    const [league, r1] = await honestApprovals(inquiry);
    await refusedByAll('approver_counted_twice', (d) => claimsFor(d, inquiry, [league!, r1!, r1!]));
    // A person the directory certified both to investigate and to approve, for Ordos City.
    const both = await testSigner(fed.pki.directoryAuthority.privateJwk, '150600', ['investigator', 'approver']);
    const own = await statementBy(both, '150600');
    const ownApprovals = [await approval(own, both, 0, 'approver'), await approval(own, user('appr.region'), 1, 'regional_approver'), await approval(own, user('appr2.region'), 1, 'regional_approver')];
    await refusedByAll('approver_is_submitter', (d) => claimsFor(d, own, ownApprovals));
  });

  it('cannot use a revoked or expired approver key', async () => {
    const inquiry = await statementBy(user('inv.ejinhoro'));
    const [league, r1] = await honestApprovals(inquiry);
    const revoked = await testSigner(fed.pki.directoryAuthority.privateJwk, '150000', ['regional_approver'], { kid: REVOKED });
    await refusedByAll('signer_revoked', async (d) => claimsFor(d, inquiry, [league!, r1!, await approval(inquiry, revoked, 1, 'regional_approver')]));
    const now = Math.floor(Date.now() / 1000);
    const lapsed = await testSigner(fed.pki.directoryAuthority.privateJwk, '150000', ['regional_approver'], { nbf: now - 7200, exp: now - 3600 });
    await refusedByAll('signer_certificate_expired', async (d) => claimsFor(d, inquiry, [league!, r1!, await approval(inquiry, lapsed, 1, 'regional_approver')]));
  });

  it('cannot use a key certified for another unit or another role', async () => {
    const inquiry = await statementBy(user('inv.ejinhoro'));
    const [, r1, r2] = await honestApprovals(inquiry);
    await refusedByAll('signer_wrong_unit', async (d) => claimsFor(d, inquiry, [await approval(inquiry, user('appr.alxa'), 0, 'approver'), r1!, r2!]));
    await refusedByAll('signer_wrong_role', async (d) => claimsFor(d, inquiry, [await approval(inquiry, user('inv.ordos'), 0, 'approver'), r1!, r2!]));
  });

  it("cannot pass a chain that satisfies a gateway's policy but not the department's own rules", async () => {
    const inquiry = await statementBy(user('inv.ejinhoro'));
    const [league, r1, r2] = await honestApprovals(inquiry);
    // Say the gateway's policy were edited to let two regional approvers suffice: no department takes it.
    await refusedByAll('approval_rule_unmet', (d) => claimsFor(d, inquiry, [r1!, r2!]));
    // The league and one regional approver: enough for household and real estate, not for the bank's transactions.
    for (const department of ['public_security', 'natural_resources'] as const) {
      expect((await send(department, claimsFor(department, inquiry, [league!, r1!]))).code).toBe(status.OK);
    }
    expect(await send('bank', claimsFor('bank', inquiry, [league!, r1!]))).toEqual({ frames: 0, code: status.PERMISSION_DENIED, refusal: 'approval_rule_unmet' });
  });

  it('cannot re-sign the statement with its own key', async () => {
    const honest = await statementBy(user('inv.ejinhoro'));
    const inv = user('inv.ejinhoro');
    const resigned = { ...(await statementBy(inv, '150627', attackerKey(inv.kid))), investigator: inv };
    const approvals = await honestApprovals(honest);
    await refusedByAll('statement_invalid', (d) => claimsFor(d, resigned, approvals));
    const ownCert = await signSignerCertificate({ ...inv.claims, key: { kty: 'OKP', crv: 'Ed25519', x: fed.pki.warrantKey.privateJwk.x! } }, attackerKey(fed.pki.directoryAuthority.publicJwk.kid!));
    await refusedByAll('signer_not_certified', (d) => claimsFor(d, resigned, approvals, { evidence: { statement_certificate: ownCert } }));
  });
});

describe('the honest path through the whole federation', () => {
  const run = async (investigator: string, approvers: string[], categories: string[], subject = LI, onBehalfOf?: string, reader = investigator) => {
    const api = await fed.as(investigator);
    const { id } = await api.submitInquiry({
      caseReference: `H-${crypto.randomUUID().slice(0, 8)}`,
      legalBasis: 'Supervision Law art. 18',
      purpose: 'honest path',
      subjects: [{ kind: 'person', id: subject }],
      categories,
      ...(onBehalfOf ? { onBehalfOf } : {}),
    });
    for (const approver of approvers) await (await fed.as(approver)).approve(id, { comment: 'approved' });
    await fed.drain();
    return (await waitForResults(await fed.as(reader), id, 0)).results.map((r) => [r.department, r.status, r.failureReason]);
  };

  it('standard, sensitive and highly sensitive inquiries are served by every department they reach', async () => {
    expect(await run('inv.ejinhoro', ['appr.ordos'], ['household', 'real_estate'])).toEqual([
      ['natural_resources', 'succeeded', null],
      ['public_security', 'succeeded', null],
    ]);
    expect(await run('inv.ejinhoro', ['appr.ordos', 'appr.region'], ['bank_accounts'])).toEqual([['bank', 'succeeded', null]]);
    expect(await run('inv.ejinhoro', ['appr.ordos', 'appr.region', 'appr2.region'], ['bank_transactions', 'household'])).toEqual([
      ['bank', 'succeeded', null],
      ['public_security', 'succeeded', null],
    ]);
  });

  it('an entrusted inquiry: the regional centre asks for Alxa League, Alxa approves', async () => {
    // Results go to the unit the inquiry is for: Alxa's investigator reads them.
    expect(await run('inv.region', ['appr.alxa'], ['household'], LI, '152900', 'inv.alxa')).toEqual([['public_security', 'succeeded', null]]);
  });
});
