import type { JWK } from 'jose';

/**
 * Public keys the page signs against, from the unit's own console server — never from the
 * gateway: the directory authority's key (`/directory/authority.pub.jwk`, the directory's
 * publication) and a unit's encryption key with the authority's certificate of it
 * (`/units/<code>/encryption.pub.jwk`, `encryption.cert.jws`). signSubmission checks that
 * certificate against the authority key before the statement names the key.
 */
async function text(path: string, what: string): Promise<string> {
  const response = await fetch(path, { cache: 'no-cache' });
  if (!response.ok) throw new Error(`${what} is not published on this console's server (${path} answered ${response.status}): start the console with --directory and --units`);
  return response.text();
}

function publicJwk(body: string, path: string): JWK {
  let jwk: JWK;
  try {
    jwk = JSON.parse(body) as JWK;
  } catch {
    throw new Error(`${path} is not JSON`);
  }
  if ('d' in jwk) throw new Error(`${path} holds a private key; only public keys are published`);
  return jwk;
}

export async function authorityKey(): Promise<JWK> {
  const path = '/directory/authority.pub.jwk';
  return publicJwk(await text(path, "the directory authority's key"), path);
}

export async function unitEncryptionKey(unit: string): Promise<{ unit: string; key: JWK; certificate: string }> {
  if (!/^\d{6}$/.test(unit)) throw new Error(`invalid unit code ${JSON.stringify(unit)}`);
  const base = `/units/${unit}/`;
  const [key, certificate] = await Promise.all([text(`${base}encryption.pub.jwk`, `the encryption key of unit ${unit}`), text(`${base}encryption.cert.jws`, `the key certificate of unit ${unit}`)]);
  const jwk = publicJwk(key, `${base}encryption.pub.jwk`);
  return { unit, key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as JWK, certificate: certificate.trim() };
}
