import type { JWK } from 'jose';
import { encodeBase64url } from '../../proto/bytes';
import { EvidenceError, type OpenedEvidence } from '../../proto/evidence';
import type { NoteVerifier } from '../../proto/checkpoint';
import type { ReceiptKeyLookup } from './results';

/**
 * Check `keys` of an evidence package: the public keys it carries under keys/ (what it was made
 * with, so an outsider knows what to pin) are the verifier's own pinned ones. Nothing is ever
 * verified with a carried key; a package made against other keys is named here, before any
 * signature check could fail less clearly.
 */

/** The verifier's pinned public keys (what `EvidenceTrust` holds). */
export interface PinnedKeys {
  authorityJwk: JWK;
  warrantKeys: JWK[];
  checkpointKey: NoteVerifier;
  receiptKeys: ReceiptKeyLookup;
}

const samePublicKey = (a: JWK, b: JWK) => a.kty === b.kty && a.crv === b.crv && a.x === b.x && a.y === b.y && a.n === b.n && a.e === b.e;

function carried(pkg: OpenedEvidence, path: string): unknown {
  if (!pkg.files[path]) throw new EvidenceError('keys', `the package has no ${path}`);
  try {
    return JSON.parse(pkg.text(path));
  } catch (error) {
    throw new EvidenceError('keys', `${path} is not JSON (${(error as Error).message})`);
  }
}

function publicOnly(path: string, jwk: unknown): JWK {
  if (typeof jwk !== 'object' || jwk === null || 'd' in jwk) throw new EvidenceError('keys', `${path} is not a public JWK`);
  return jwk as JWK;
}

export async function checkCarriedKeys(pkg: OpenedEvidence, trust: PinnedKeys, departments: readonly string[]): Promise<void> {
  const fail = (path: string) => new EvidenceError('keys', `${path} is not the key pinned here: the package was made against another directory or gateway`);
  if (!samePublicKey(publicOnly('keys/authority.pub.jwk', carried(pkg, 'keys/authority.pub.jwk')), trust.authorityJwk)) throw fail('keys/authority.pub.jwk');
  const jwks = carried(pkg, 'keys/warrant-jwks.json') as { keys?: unknown[] };
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new EvidenceError('keys', 'keys/warrant-jwks.json is not a JWK set');
  for (const key of jwks.keys) if (!trust.warrantKeys.some((k) => samePublicKey(k, publicOnly('keys/warrant-jwks.json', key)))) throw fail('keys/warrant-jwks.json');
  const checkpoint = publicOnly('keys/checkpoint-verifier.jwk', carried(pkg, 'keys/checkpoint-verifier.jwk'));
  if (checkpoint.x !== encodeBase64url(trust.checkpointKey.publicKey)) throw fail('keys/checkpoint-verifier.jwk');
  const receipts = Object.keys(pkg.files).filter((p) => /^keys\/receipts\/[a-z][a-z0-9_]*\.pub\.jwk$/.test(p)).map((p) => p.slice(14, -8));
  for (const department of new Set([...departments, ...receipts])) {
    const path = `keys/receipts/${department}.pub.jwk`;
    if (!samePublicKey(publicOnly(path, carried(pkg, path)), await trust.receiptKeys(department))) throw fail(path);
  }
}
