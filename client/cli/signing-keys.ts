import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { JWK } from 'jose';
import { SigningError, type Signer } from '../core/signing';

/**
 * The files the command line signs with: the user's own signing key and its certificate
 * (`<pki>/users/<username>/signing.jwk` and `signing.cert.jws` in development, or `--signing-key`
 * with the certificate beside it), the directory authority's published key, and a unit's
 * published encryption key with its certificate. Every failure says which file and what to do.
 */
export async function readSigner(opts: { pkiDir: string; username: string; keyFile?: string; certificateFile?: string }): Promise<Signer> {
  const keyFile = opts.keyFile ?? join(opts.pkiDir, 'users', opts.username, 'signing.jwk');
  const certificateFile = opts.certificateFile ?? join(dirname(keyFile), 'signing.cert.jws');
  const keyText = await readFile(keyFile, 'utf8').catch(() => {
    throw new SigningError(`no signing key at ${keyFile}: pass --signing-key with your own key file (the directory issues one per investigator and approver; in development \`npm run pki:generate\` writes them)`);
  });
  const privateJwk = parseJson(keyFile, keyText) as JWK;
  if (privateJwk.kty !== 'OKP' || privateJwk.crv !== 'Ed25519' || typeof privateJwk.d !== 'string') {
    throw new SigningError(`${keyFile} is not a private Ed25519 key (JWK with "d"); your signing key file is needed`);
  }
  const certificate = (await readFile(certificateFile, 'utf8').catch(() => {
    throw new SigningError(`no certificate for your signing key at ${certificateFile}: your key is not certified by the directory; pass --signing-certificate`);
  })).trim();
  return { privateJwk, certificate };
}

export async function readAuthorityKey(directoryDir: string): Promise<JWK> {
  const file = join(directoryDir, 'authority.pub.jwk');
  const text = await readFile(file, 'utf8').catch(() => {
    throw new SigningError(`no directory authority key at ${file}: pass --directory with the directory's published folder`);
  });
  const jwk = parseJson(file, text) as JWK;
  if ('d' in jwk) throw new SigningError(`${file} holds a private key; the directory publishes public keys only`);
  return jwk;
}

/** A unit's published encryption key and the authority's certificate of it (development layout `<pki>/units/<code>/`). */
export async function readUnitKey(pkiDir: string, unit: string): Promise<{ unit: string; key: JWK; certificate: string }> {
  if (!/^\d{6}$/.test(unit)) throw new SigningError(`invalid unit code ${JSON.stringify(unit)}`);
  const dir = join(pkiDir, 'units', unit);
  const read = (name: string) =>
    readFile(join(dir, name), 'utf8').catch(() => {
      throw new SigningError(`no ${name} of unit ${unit} in ${dir}: the statement must name the unit's certified encryption key`);
    });
  const key = parseJson(join(dir, 'encryption.pub.jwk'), await read('encryption.pub.jwk')) as JWK;
  return { unit, key: { kty: key.kty, crv: key.crv, x: key.x, y: key.y } as JWK, certificate: (await read('encryption.cert.jws')).trim() };
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SigningError(`${file} is not JSON`);
  }
}
