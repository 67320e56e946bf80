import type { JWK } from 'jose';
import { newEd25519SigningJwks } from '../../proto/node/keys';
import { KEY_CERT_ISSUER, signKeyCertificate, type KeyCertificateClaims } from '../../proto/key-certificate';
import { signSignerCertificate, type SignerRole } from '../../proto/signer-certificate';
import type { FileSigner } from '../../client/core/signing';

/**
 * A directory authority of its own for a test: certifies signing keys of test users and unit
 * encryption keys, so tests that run without the dev PKI still sign as production does.
 */
export interface TestDirectory {
  publicJwk: JWK;
  privateJwk: JWK;
  /** A fresh Ed25519 key certified for `unit` and `roles` (validity and key overridable, to make bad ones). */
  signer(unit: string, roles: SignerRole[], o?: { nbf?: number; exp?: number; certifyKey?: JWK }): Promise<FileSigner & { kid: string }>;
  unitKey(unit: string, key: JWK): Promise<{ unit: string; key: JWK; certificate: string }>;
}

let counter = 0;

export async function createTestDirectory(): Promise<TestDirectory> {
  const authority = newEd25519SigningJwks('test-directory-authority');
  const now = Math.floor(Date.now() / 1000);
  return {
    ...authority,
    async signer(unit, roles, o = {}) {
      const kid = `sk-test-${process.pid}-${++counter}`;
      const { privateJwk, publicJwk } = newEd25519SigningJwks(kid);
      const certified = o.certifyKey ?? publicJwk;
      const certificate = await signSignerCertificate(
        { iss: KEY_CERT_ISSUER, kid, unit, roles, key: { kty: 'OKP', crv: 'Ed25519', x: certified.x! }, nbf: o.nbf ?? now - 60, exp: o.exp ?? now + 86_400 },
        authority.privateJwk,
      );
      return { kid, privateJwk, certificate };
    },
    async unitKey(unit, key) {
      const plain = { kty: key.kty, crv: key.crv, x: key.x, y: key.y } as KeyCertificateClaims['key'];
      const certificate = await signKeyCertificate({ iss: KEY_CERT_ISSUER, unit, key: plain, iat: now - 60, exp: now + 86_400 }, authority.privateJwk);
      return { unit, key: plain as JWK, certificate };
    },
  };
}
