import { calculateJwkThumbprint, type JWK } from 'jose';

/**
 * The unit's private key in this browser: imported once from the unit's key file as a
 * non-extractable WebCrypto ECDH key and kept in IndexedDB (which stores CryptoKey objects as
 * they are, without their private bytes ever being readable by script). Never uploaded.
 */
const DB = 'qiao-console';
const STORE = 'unit-keys';

export interface StoredUnitKey {
  unitId: string;
  thumbprint: string;
  key: CryptoKey;
  importedAt: string;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'unitId' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB cannot be opened'));
  });
}

async function run<T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = action(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
    });
  } finally {
    db.close();
  }
}

/** Checks the file is a P-256 private encryption JWK and imports it, non-extractable. */
export async function importUnitKey(unitId: string, fileText: string): Promise<StoredUnitKey> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(fileText) as JWK;
  } catch {
    throw new Error('the file is not JSON: choose the unit key file encryption.jwk');
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw new Error('the key is not a P-256 key: choose the unit key file encryption.jwk');
  if (!jwk.d) throw new Error('the file holds a public key only: the private key file is encryption.jwk, not encryption.pub.jwk');
  const key = await crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d, ext: false }, { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits', 'deriveKey']);
  const thumbprint = await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! });
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
