import type { JWK } from 'jose';
import { KEY_CERT_ISSUER } from '../proto/key-certificate';
import { signRevocationList, verifyRevocationList, type RevocationListClaims } from '../proto/revocation-list';
import {
  certificateValidAt,
  signSignerCertificate,
  SIGNER_ROLES,
  verifySignerCertificate,
  type SignerCertificateClaims,
  type SignerRole,
} from '../proto/signer-certificate';
import type { PkiFiles } from './files';
import { ensurePrivateJwk, SIGNING_KEY } from './jwk';
import { relativeLayout } from './layout';

/**
 * The directory authority's side of personal signing keys: one Ed25519 key per demo user who
 * signs (investigators, approvers), its certificate for the user's unit and signing roles, the
 * oversight index from key id back to username, and the signed revocation list.
 */
export interface SignerSpec {
  username: string;
  unitId: string;
  roles: readonly string[];
}

export interface DevSigner {
  username: string;
  privateJwk: JWK;
  certificate: string;
  claims: SignerCertificateClaims;
}

const L = relativeLayout();
const SIGNER_CERT_DAYS = 365;
const RENEW_BEFORE_DAYS = 7;
/** Re-issued whenever older than this, so a department's freshness limit (48 h by default) holds while `npm start` runs daily. */
export const REVOCATION_REISSUE_AFTER_SEC = 12 * 3600;

export const signingRoles = (roles: readonly string[]): SignerRole[] => SIGNER_ROLES.filter((r) => roles.includes(r));

export async function ensureSigners(files: PkiFiles, specs: readonly SignerSpec[], authority: { privateJwk: JWK; publicJwk: JWK }, now: Date): Promise<DevSigner[]> {
  const signers: DevSigner[] = [];
  for (const spec of specs) {
    const roles = signingRoles(spec.roles);
    if (roles.length === 0) continue;
    const rel = L.signer(spec.username);
    // The kid is the key's RFC 7638 thumbprint: a pseudonym that names no one.
    const { privateJwk, publicJwk } = await ensurePrivateJwk(files, rel.privateJwk, SIGNING_KEY);
    const found = (await files.read(rel.certificate))?.trim();
    const secs = Math.floor(now.getTime() / 1000);
    let reason: string | undefined = 'was missing';
    if (found !== undefined) {
      const claims = await verifySignerCertificate(found, authority.publicJwk).catch(() => undefined);
      if (!claims) reason = 'is not the authority’s';
      else if (claims.kid !== publicJwk.kid || claims.key.x !== publicJwk.x) reason = 'certifies another key';
      else if (claims.unit !== spec.unitId || claims.roles.join() !== roles.join()) reason = 'names another unit or roles';
      else if (!certificateValidAt(claims, secs)) reason = 'signing-key certificate has expired';
      else if (!certificateValidAt(claims, secs + RENEW_BEFORE_DAYS * 86_400)) reason = `expires within ${RENEW_BEFORE_DAYS} days`;
      else {
        files.record(rel.certificate, 'reused');
        signers.push({ username: spec.username, privateJwk, certificate: found, claims });
        continue;
      }
    }
    const claims: SignerCertificateClaims = {
      iss: KEY_CERT_ISSUER,
      kid: publicJwk.kid!,
      unit: spec.unitId,
      roles,
      key: { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x! },
      nbf: secs - 60,
      exp: secs + SIGNER_CERT_DAYS * 86_400,
    };
    const certificate = await signSignerCertificate(claims, authority.privateJwk);
    await files.write(rel.certificate, certificate, found === undefined ? { secret: false, action: 'created' } : { secret: false, action: 'replaced', reason });
    signers.push({ username: spec.username, privateJwk, certificate, claims });
  }
  const index = Object.fromEntries(signers.map((s) => [s.claims.kid, s.username]));
  const text = `${JSON.stringify(index, null, 2)}\n`;
  if ((await files.read(L.signerIndex)) === text) {
    await files.keepSecret(L.signerIndex);
    files.record(L.signerIndex, 'reused');
  } else await files.write(L.signerIndex, text, { secret: true, action: 'created' });
  return signers;
}

/**
 * Keeps the revocation list fresh: re-signed (same entries, next serial) once it is older than
 * REVOCATION_REISSUE_AFTER_SEC; `revoke` adds key ids (tests, and `certs-dev --revoke`).
 */
export async function ensureRevocationList(files: PkiFiles, authority: { privateJwk: JWK; publicJwk: JWK }, now: Date, revoke: readonly string[] = []): Promise<string> {
  const found = (await files.read(L.revocationList))?.trim();
  const secs = Math.floor(now.getTime() / 1000);
  const current = found === undefined ? undefined : await verifyRevocationList(found, { authorityJwk: authority.publicJwk }).catch(() => undefined);
  const fresh = current && secs - current.iat < REVOCATION_REISSUE_AFTER_SEC;
  const added = revoke.filter((kid) => !current?.revoked.some((r) => r.kid === kid));
  if (found !== undefined && fresh && added.length === 0) {
    files.record(L.revocationList, 'reused');
    return found;
  }
  const claims: RevocationListClaims = {
    iss: KEY_CERT_ISSUER,
    iat: secs,
    serial: (current?.serial ?? 0) + 1,
    revoked: [...(current?.revoked ?? []), ...added.map((kid) => ({ kid, revoked_at: secs }))],
  };
  const jws = await signRevocationList(claims, authority.privateJwk);
  const reason = !current ? 'was not the authority’s' : added.length ? `revokes ${added.join(', ')}` : 'was older than 12 h';
  await files.write(L.revocationList, jws, found === undefined ? { secret: false, action: 'created' } : { secret: false, action: 'replaced', reason });
  return jws;
}
