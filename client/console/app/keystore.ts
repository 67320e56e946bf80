import { calculateJwkThumbprint, type JWK } from 'jose';
import { KeyCertificateError, verifyKeyCertificate } from '../../../proto/key-certificate';
import { SIGNER_ROLES, type SignerRole } from '../../../proto/signer-certificate';
import { checkSigner, SigningError, type BrowserSigner } from '../../core/signing';

/**
 * The unit's private key in this browser: imported once from the unit's key file as a
 * non-extractable WebCrypto ECDH key and kept in IndexedDB (which stores CryptoKey objects as
 * they are, without their private bytes ever being readable by script). Never uploaded.
 */
const DB = 'qiao-console';
const STORE = 'unit-keys';
/** Each user's own signing key (non-extractable Ed25519) with its certificate, by username. */
const SIGNING_STORE = 'signing-keys';

export interface StoredUnitKey {
  unitId: string;
  thumbprint: string;
  key: CryptoKey;
  importedAt: string;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 2);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'unitId' });
      if (!db.objectStoreNames.contains(SIGNING_STORE)) db.createObjectStore(SIGNING_STORE, { keyPath: 'username' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB cannot be opened'));
  });
}

async function run<T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest<T>, storeName = STORE): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = action(db.transaction(storeName, mode).objectStore(storeName));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
    });
  } finally {
    db.close();
  }
}

/** Why a unit key was refused, for the page to say in zh-CN or English (`key.problems.*`). */
export class UnitKeyImportError extends Error {
  override readonly name = 'UnitKeyImportError';
  constructor(
    readonly problem: 'not-json' | 'not-p256' | 'public-only' | 'mismatch' | KeyCertificateError['problem'],
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * Checks the file is a P-256 private encryption JWK, that its public half is the key the
 * directory authority certified for this unit (the certificate from the unit's own server,
 * checked against the pinned authority key) and that its private half belongs to that public
 * key (an ECDH probe: the key file agrees with a fresh key on the same secret as the certified
 * public key does). Only then it is imported, non-extractable, and kept.
 */
export async function importUnitKey(unitId: string, fileText: string, trust: { certificate: string; authorityJwk: JWK }): Promise<StoredUnitKey> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(fileText) as JWK;
  } catch {
    throw new UnitKeyImportError('not-json', 'the file is not JSON: choose the unit key file encryption.jwk');
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new UnitKeyImportError('not-p256', 'the key is not a P-256 key: choose the unit key file encryption.jwk');
  if (!jwk.d) throw new UnitKeyImportError('public-only', 'the file holds a public key only: the private key file is encryption.jwk, not encryption.pub.jwk');
  const publicJwk = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  try {
    await verifyKeyCertificate(trust.certificate, { unit: unitId, key: publicJwk, authorityJwk: trust.authorityJwk });
  } catch (error) {
    if (error instanceof KeyCertificateError) throw new UnitKeyImportError(error.problem, error.message);
    throw error;
  }
  const ecdh = { name: 'ECDH', namedCurve: 'P-256' } as const;
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey('jwk', { ...publicJwk, d: jwk.d, ext: false }, ecdh, false, ['deriveBits', 'deriveKey']);
  } catch (error) {
    throw new UnitKeyImportError('mismatch', `the private key does not fit its public key (${(error as Error).message})`);
  }
  const probe = await crypto.subtle.generateKey(ecdh, false, ['deriveBits']);
  const certified = await crypto.subtle.importKey('jwk', publicJwk, ecdh, false, []);
  const [mine, theirs] = await Promise.all([
    crypto.subtle.deriveBits({ name: 'ECDH', public: probe.publicKey }, key, 256),
    crypto.subtle.deriveBits({ name: 'ECDH', public: certified }, probe.privateKey, 256),
  ]);
  const a = new Uint8Array(mine);
  const b = new Uint8Array(theirs);
  if (a.length !== b.length || a.some((x, i) => x !== b[i])) throw new UnitKeyImportError('mismatch', 'the private key in the file is not the private half of the certified public key');
  const thumbprint = await calculateJwkThumbprint(publicJwk as JWK);
  const stored: StoredUnitKey = { unitId, thumbprint, key, importedAt: new Date().toISOString() };
  await run('readwrite', (s) => s.put(stored));
  return stored;
}

export async function loadUnitKey(unitId: string): Promise<StoredUnitKey | null> {
  return (await run<StoredUnitKey | undefined>('readonly', (s) => s.get(unitId) as IDBRequest<StoredUnitKey | undefined>)) ?? null;
}

export async function forgetUnitKey(unitId: string): Promise<void> {
  await run('readwrite', (s) => s.delete(unitId));
}

export interface StoredSigningKey extends BrowserSigner {
  username: string;
  kid: string;
  unitId: string;
  roles: SignerRole[];
  /** Certificate validity end, ISO 8601. */
  expiresAt: string;
  importedAt: string;
}

/** Why a signing key was refused, for the page to say in zh-CN or English (`signingKey.problems.*`). */
export class SigningKeyImportError extends Error {
  override readonly name = 'SigningKeyImportError';
  constructor(
    readonly problem: 'not-json' | 'not-ed25519' | 'public-only' | 'no-certificate' | 'no-role' | NonNullable<SigningError['problem']>,
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * The user's own signing key (signing.jwk) and its certificate (signing.cert.jws): the key is
 * imported as a non-extractable Ed25519 key, the certificate checked against the directory
 * authority's key — for this key, this unit and each signing role the user has, valid now —
 * and only then both are kept in IndexedDB under the username.
 */
export async function importSigningKey(
  user: { username: string; unitId: string; roles: readonly string[] },
  keyText: string,
  certificateText: string,
  authorityJwk: JWK,
): Promise<StoredSigningKey> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(keyText) as JWK;
  } catch {
    throw new SigningKeyImportError('not-json', 'the key file is not JSON: choose your signing.jwk');
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw new SigningKeyImportError('not-ed25519', 'the key is not an Ed25519 key: choose your signing.jwk');
  if (!jwk.d) throw new SigningKeyImportError('public-only', 'the file holds a public key only: choose the private key file signing.jwk');
  const certificate = certificateText.trim();
  if (!certificate) throw new SigningKeyImportError('no-certificate', 'the certificate file is empty: choose signing.cert.jws');
  const privateKey = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d, ext: false }, { name: 'Ed25519' }, false, ['sign']);
  const roles = SIGNER_ROLES.filter((r) => user.roles.includes(r));
  if (roles.length === 0) throw new SigningKeyImportError('no-role', 'you have no role that signs (investigator, approver, regional approver)');
  const signer: BrowserSigner = { privateKey, certificate };
  let claims: Awaited<ReturnType<typeof checkSigner>> | undefined;
  for (const role of roles) {
    try {
      claims = await checkSigner(signer, { authorityJwk, unitId: user.unitId, role });
    } catch (error) {
      if (error instanceof SigningError && error.problem) throw new SigningKeyImportError(error.problem, error.message);
      throw error;
    }
  }
  const stored: StoredSigningKey = {
    username: user.username,
    privateKey,
    certificate,
    kid: claims!.kid,
    unitId: claims!.unit,
    roles: claims!.roles,
    expiresAt: new Date(claims!.exp * 1000).toISOString(),
    importedAt: new Date().toISOString(),
  };
  await run('readwrite', (s) => s.put(stored), SIGNING_STORE);
  return stored;
}

export async function loadSigningKey(username: string): Promise<StoredSigningKey | null> {
  return (await run<StoredSigningKey | undefined>('readonly', (s) => s.get(username) as IDBRequest<StoredSigningKey | undefined>, SIGNING_STORE)) ?? null;
}

export async function forgetSigningKey(username: string): Promise<void> {
  await run('readwrite', (s) => s.delete(username), SIGNING_STORE);
}
