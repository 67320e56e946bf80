import type { PeerCertificate } from 'node:tls';
import type { JWK } from 'jose';
import { GATEWAY_IDENTITY } from '../../proto/identity';
import { verifyWarrant, WarrantError, type WarrantClaims } from '../../proto/warrant';
import { KeyCertificateError, verifyKeyCertificate } from '../../proto/key-certificate';
import { EvidenceError, verifyEvidence, type VerifiedEvidence } from '../../proto/approval-evidence';
import { checkApprovalRules, type ApprovalRules } from './approval-rules';
import { Refusal, warrantRefusal } from './refusal';
import type { RevocationSource } from './revocations';
import type { ServedLog } from './served-log';
import type { WarrantKeySource } from './warrant-keys';

/** At most this many subjects per warrant: a bulk pull is not an inquiry. */
export const MAX_WARRANT_SUBJECTS = 50;

/**
 * The TLS layer already proved the client certificate chains to our CA (checkClientCertificate);
 * this proves it is the gateway's and not, say, another department's. The DNS SAN decides; the
 * CN counts only for a certificate without any SAN (RFC 6125).
 */
export function checkClientIdentity(peer: PeerCertificate | undefined): void {
  if (!peer) throw new Refusal('client_not_gateway', 'no verified client certificate');
  const sans = (peer.subjectaltname ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const dnsNames = sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
  const ok = sans.length > 0 ? dnsNames.includes(GATEWAY_IDENTITY) : peer.subject?.CN === GATEWAY_IDENTITY;
  if (!ok) throw new Refusal('client_not_gateway');
}

export async function checkWarrant(
  jws: string,
  opts: { department: string; keys: WarrantKeySource | JWK[]; now?: Date },
): Promise<WarrantClaims> {
  const keys = Array.isArray(opts.keys) ? opts.keys : (kid: string) => (opts.keys as WarrantKeySource).find(kid);
  try {
    return await verifyWarrant(jws, { keys, audience: opts.department, now: opts.now });
  } catch (error) {
    if (error instanceof WarrantError) throw warrantRefusal(error.code, error.code === 'malformed' ? error.message : undefined);
    throw error;
  }
}

/** A warrant id is served at most once, ever: the served log remembers across restarts. */
export function checkNotReplayed(claims: WarrantClaims, log: Pick<ServedLog, 'wasUsed'>): void {
  if (log.wasUsed(claims.jti)) throw new Refusal('warrant_replayed');
}

/**
 * The key the result will be encrypted to must be certified for the requesting unit by the
 * directory authority, whose public key this department pins: a gateway cannot substitute its own.
 */
export async function checkRecipientKey(claims: WarrantClaims, authorityJwk: JWK, now?: Date): Promise<void> {
  const cert = claims.recipient.key_certificate;
  if (!cert) throw new Refusal('recipient_key_not_certified', 'the warrant carries no key certificate');
  try {
    await verifyKeyCertificate(cert, { unit: claims.recipient.unit, key: claims.recipient.key, authorityJwk, now });
  } catch (error) {
    if (error instanceof KeyCertificateError) throw new Refusal('recipient_key_not_certified', error.message);
    throw error;
  }
}

/** Every category must be served, every field must belong to it, and the subjects are bounded. */
export function checkScope(claims: WarrantClaims, served: Record<string, readonly string[]>): void {
  for (const [category, fields] of Object.entries(claims.categories)) {
    const known = Object.hasOwn(served, category) ? served[category] : undefined;
    if (!known) throw new Refusal('category_not_served', category);
    const unknown = fields.filter((f) => !known.includes(f));
    if (unknown.length > 0) throw new Refusal('field_not_in_category', `${category}.${unknown.join(`, ${category}.`)}`);
  }
  if (claims.subjects.length > MAX_WARRANT_SUBJECTS) {
    throw new Refusal('too_many_subjects', `${claims.subjects.length} > ${MAX_WARRANT_SUBJECTS}`);
  }
}

/**
 * The department sees for itself that a certified investigator asked for exactly this and that
 * certified approvers, enough of them and of the right units for its own rule file, approved
 * exactly that (proto/approval-evidence.ts). The revocation list comes first: without a fresh
 * one nothing can be judged (fail-closed).
 */
export async function checkEvidence(
  claims: WarrantClaims,
  opts: { authorityJwk: JWK; revocations: RevocationSource; rules: ApprovalRules },
): Promise<VerifiedEvidence> {
  const revoked = await opts.revocations.revoked();
  let verified: VerifiedEvidence;
  try {
    verified = await verifyEvidence(
      { ...claims, categories: Object.keys(claims.categories) },
      claims.evidence,
      { authorityJwk: opts.authorityJwk, revoked },
    );
  } catch (error) {
    if (error instanceof EvidenceError) throw new Refusal(error.code, error.message);
    throw error;
  }
  checkApprovalRules(opts.rules, { unit: verified.statement.unit, categories: Object.keys(claims.categories), approvals: verified.approvals });
  return verified;
}
