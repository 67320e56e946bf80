import { CompactSign, compactVerify, decodeJwt, type CryptoKey, type JWK } from 'jose';
import type { InquiryView, SignedDecision, SubmitInquiry } from '../../proto/api/inquiries';
import type { ApiClient } from './api-client';
import { commentDigest, DecisionError, signDecision, verifyDecision } from '../../proto/decision';
import {
  caseCommitment,
  disclosureDigest,
  makeDisclosures,
  newSalt,
  recipientKeyThumbprint,
  signedKeyId,
  signStatement,
  statementDigest,
  StatementError,
  verifyStatement,
} from '../../proto/inquiry-statement';
import { KeyCertificateError, verifyKeyCertificate } from '../../proto/key-certificate';
import { importPublic } from '../../proto/eddsa';
import type { SigningKey } from '../../proto/signed-claims';
import {
  certificateValidAt,
  SignerCertificateError,
  verifySignerCertificate,
  type SignerCertificateClaims,
  type SignerRole,
} from '../../proto/signer-certificate';

/**
 * Signing on the requesting unit's side: the investigator's statement and an approver's decision,
 * with the user's own key (a JWK read from a key file by the command line, a non-extractable
 * WebCrypto key in the console). The gateway relays signatures; it never holds these keys.
 */
export class SigningError extends Error {
  override readonly name = 'SigningError';
  /** What `checkSigner` found wrong, for a page to say in its own language. */
  constructor(
    message: string,
    readonly problem?: 'certificate' | 'wrong-key' | 'not-valid-now' | 'other-unit' | 'other-role',
  ) {
    super(message);
  }
}

/**
 * The user's own signing key and the directory authority's certificate of it
 * (qiao-signer-cert+jwt): a private JWK read from the key file (the command line), or a
 * non-extractable Ed25519 WebCrypto key (the console keeps it in IndexedDB; script can sign with
 * it but never read it).
 */
export type Signer = FileSigner | BrowserSigner;
export interface FileSigner {
  privateJwk: JWK;
  privateKey?: never;
  certificate: string;
}
export interface BrowserSigner {
  privateKey: CryptoKey;
  privateJwk?: never;
  certificate: string;
}

/**
 * The key file's JWK under the key id its certificate names, made once per JWK and kid: the
 * contract imports a private JWK once per object (proto/eddsa.ts, proto/node/eddsa.ts), so a fresh copy at
 * every signature would import the key again each time.
 */
const jwkWithKid = new WeakMap<JWK, JWK>();

/** The key to sign with, under the key id its certificate names. */
function signingKeyOf(signer: Signer, kid: string): SigningKey {
  if (signer.privateKey) return { key: signer.privateKey, kid };
  let jwk = jwkWithKid.get(signer.privateJwk);
  if (jwk?.kid !== kid) jwkWithKid.set(signer.privateJwk, (jwk = { ...signer.privateJwk, kid }));
  return jwk;
}

/** Whether `signer` holds the private half of `publicJwk`: it signs a probe, the certified key verifies it. */
async function holdsKey(signer: Signer, publicJwk: JWK): Promise<boolean> {
  if (signer.privateJwk) return signer.privateJwk.x === publicJwk.x;
  const probe = new TextEncoder().encode('qiao signing-key possession probe');
  const jws = await new CompactSign(probe).setProtectedHeader({ alg: 'EdDSA' }).sign(signer.privateKey);
  try {
    // The contract's memo of imported public keys (bounded, by the key's members): not an import per check.
    await compactVerify(jws, await importPublic(publicJwk));
    return true;
  } catch {
    return false;
  }
}

/** Checks the user's own certificate before signing anything with it: the clearest place to say what is wrong. */
export async function checkSigner(signer: Signer, opts: { authorityJwk: JWK; unitId: string; role: SignerRole; now?: Date }): Promise<SignerCertificateClaims> {
  let cert: SignerCertificateClaims;
  try {
    cert = await verifySignerCertificate(signer.certificate, opts.authorityJwk);
  } catch (error) {
    if (error instanceof SignerCertificateError) throw new SigningError(`your signing-key certificate does not verify with the directory authority's key: ${error.message}`, 'certificate');
    throw error;
  }
  if (!(await holdsKey(signer, cert.key as JWK))) throw new SigningError(`your key file does not hold the key your certificate (key id ${cert.kid}) certifies`, 'wrong-key');
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  if (!certificateValidAt(cert, now)) throw new SigningError(`your signing-key certificate (key id ${cert.kid}) is not valid now; ask the directory for a new one`, 'not-valid-now');
  if (cert.unit !== opts.unitId) throw new SigningError(`your signing key is certified for unit ${cert.unit}, not your unit ${opts.unitId}`, 'other-unit');
  if (!cert.roles.includes(opts.role)) throw new SigningError(`your signing key is not certified as ${opts.role} (it is certified as ${cert.roles.join(', ')})`, 'other-role');
  return cert;
}

/**
 * The request with its signed statement: a fresh inquiry id, a salted commitment to the case and
 * one salted disclosure per category. `recipient` is the unit's encryption key and the directory
 * authority's certificate of it, checked here so the statement never names a key the directory
 * did not certify.
 */
export async function signSubmission(
  request: Omit<SubmitInquiry, 'signed'>,
  signer: Signer,
  opts: { authorityJwk: JWK; recipient: { unit: string; key: JWK; certificate: string }; now?: Date },
): Promise<SubmitInquiry & { signed: NonNullable<SubmitInquiry['signed']> }> {
  const { unit, key, certificate } = opts.recipient;
  try {
    await verifyKeyCertificate(certificate, { unit, key, authorityJwk: opts.authorityJwk, ...(opts.now ? { now: opts.now } : {}) });
  } catch (error) {
    if (error instanceof KeyCertificateError) throw new SigningError(`the encryption key of unit ${unit} is not certified by the directory authority: ${error.message}`);
    throw error;
  }
  const cert = await verifySignerCertificate(signer.certificate, opts.authorityJwk);
  const caseSalt = newSalt();
  const disclosures = makeDisclosures(request.categories, request.subjects);
  const statement = await signStatement(
    {
      v: 1,
      inquiry_id: globalThis.crypto.randomUUID(),
      unit,
      legal_basis: request.legalBasis,
      case_commitment: caseCommitment(request.caseReference, caseSalt),
      recipient: { unit, key_thumbprint: await recipientKeyThumbprint(key) },
      disclosures: disclosures.map(disclosureDigest).sort(),
      iat: Math.floor((opts.now ?? new Date()).getTime() / 1000),
      ...(request.parentId ? { parent_id: request.parentId } : {}),
    },
    signingKeyOf(signer, cert.kid),
  );
  return { ...request, signed: { statement, certificate: signer.certificate, caseSalt, disclosures } };
}

/** An approval fills the chain's next step in its role; a rejection fills none. */
export async function signDecisionOn(
  inquiry: InquiryView,
  decision: 'approve' | 'reject',
  comment: string,
  signer: Signer,
  opts: { now?: Date; role?: SignerRole } = {},
): Promise<SignedDecision> {
  if (!inquiry.signed) throw new SigningError(`inquiry ${inquiry.id} carries no signed statement: there is nothing to sign a decision over`);
  const next = inquiry.approvals.next;
  if (decision === 'approve' && !next) throw new SigningError(`inquiry ${inquiry.id} needs no more approvals`);
  const kid = certifiedKeyId(signer.certificate);
  const role = (decision === 'approve' ? next!.role : (opts.role ?? 'approver')) as SignerRole;
  const signed = await signDecision(
    {
      v: 1,
      inquiry_id: inquiry.id,
      statement_sha256: statementDigest(inquiry.signed.statement),
      decision,
      step: decision === 'approve' ? next!.index : null,
      role,
      comment_sha256: commentDigest(comment),
      iat: Math.floor((opts.now ?? new Date()).getTime() / 1000),
    },
    signingKeyOf(signer, kid),
  );
  return { decision: signed, certificate: signer.certificate };
}

/** The key id a certificate names, read without verifying (the gateway and departments verify it). */
function certifiedKeyId(certificate: string): string {
  try {
    const kid = decodeJwt(certificate).kid;
    if (typeof kid === 'string') return kid;
  } catch {
    // fall through
  }
  throw new SigningError('your signing-key certificate is not a qiao-signer-cert+jwt');
}

export interface VerifiedSignature {
  kid: string;
  unit: string;
  roles: SignerRole[];
}

/** What `qiao show` prints: each signature checked here, with the pinned authority key, not the gateway's word. */
export interface InquirySignatures {
  statement: ({ ok: true } & VerifiedSignature) | { ok: false; problem: string } | null;
  decisions: (({ ok: true; role: SignerRole; decision: 'approve' | 'reject' } & VerifiedSignature) | { ok: false; problem: string } | null)[];
}

export async function verifyInquirySignatures(inquiry: InquiryView, authorityJwk: JWK): Promise<InquirySignatures> {
  const signed = inquiry.signed;
  const certOf = async (certificate: string, jws: string) => {
    const cert = await verifySignerCertificate(certificate, authorityJwk);
    if (signedKeyId(jws) !== cert.kid) throw new SignerCertificateError('the signature is not by the certified key');
    return cert;
  };
  const problem = (error: unknown) => {
    if (error instanceof SignerCertificateError || error instanceof StatementError || error instanceof DecisionError || error instanceof SigningError) {
      return { ok: false as const, problem: error.message };
    }
    throw error;
  };
  let statement: InquirySignatures['statement'] = null;
  if (signed) {
    try {
      const cert = await certOf(signed.certificate, signed.statement);
      const claims = await verifyStatement(signed.statement, cert);
      if (claims.inquiry_id !== inquiry.id) throw new SigningError('the statement is for another inquiry');
      statement = { ok: true, kid: cert.kid, unit: cert.unit, roles: cert.roles };
    } catch (error) {
      statement = problem(error);
    }
  }
  const decisions: InquirySignatures['decisions'] = [];
  for (const d of inquiry.decisions) {
    if (!d.signed) {
      decisions.push(null);
      continue;
    }
    try {
      const cert = await certOf(d.signed.certificate, d.signed.decision);
      const claims = await verifyDecision(d.signed.decision, cert);
      if (!signed || claims.statement_sha256 !== statementDigest(signed.statement)) throw new SigningError('the decision is over another statement');
      if (claims.comment_sha256 !== commentDigest(d.comment)) throw new SigningError('the comment is not the one signed');
      if (claims.decision !== d.decision) throw new SigningError('the signed decision is not the one shown');
      decisions.push({ ok: true, kid: cert.kid, unit: cert.unit, roles: cert.roles, role: claims.role, decision: claims.decision });
    } catch (error) {
      decisions.push(problem(error));
    }
  }
  return { statement, decisions };
}

/**
 * An API client whose submit, approve and reject sign with `signer` whenever the body carries no
 * signature yet: what the command line does, for programs that act as one user (tests, bench).
 */
export function withSigning<C extends Pick<ApiClient, 'submitInquiry' | 'approve' | 'reject' | 'getInquiry'>>(
  client: C,
  signer: Signer,
  opts: { authorityJwk: JWK; recipient: (unit: string) => Promise<{ unit: string; key: JWK; certificate: string }>; unitId: string },
): C {
  const wrapped = Object.create(client) as C;
  wrapped.submitInquiry = async (body) => {
    if (body.signed) return client.submitInquiry(body);
    const recipient = await opts.recipient(body.onBehalfOf ?? opts.unitId);
    return client.submitInquiry(await signSubmission(body, signer, { authorityJwk: opts.authorityJwk, recipient }));
  };
  for (const verb of ['approve', 'reject'] as const) {
    wrapped[verb] = async (id, body) => {
      if (body.signed) return client[verb](id, body);
      const inquiry = await client.getInquiry(id);
      return client[verb](id, { ...body, signed: await signDecisionOn(inquiry, verb, body.comment, signer, { role: certifiedRoles(signer).includes('regional_approver') && verb === 'reject' ? 'regional_approver' : 'approver' }) });
    };
  }
  return wrapped;
}

function certifiedRoles(signer: Signer): string[] {
  const roles = decodeJwt(signer.certificate).roles;
  return Array.isArray(roles) ? roles.map(String) : [];
}
