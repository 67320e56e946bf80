import { CompactEncrypt, compactDecrypt, importJWK, type JWK } from 'jose';

/**
 * The result envelope: the records a department returns, encrypted to the requesting unit's
 * public key so that only that unit can read them — the gateway that carries them cannot.
 * Format `qiao-jwe-ndjson-v1`: one compact JWE (ECDH-ES+A256KW, A256GCM), UTF-8 bytes, whose
 * plaintext is NDJSON: one JSON object per line, each line ending in "\n". See docs/formats.md.
 */

export const RESULT_FORMAT = 'qiao-jwe-ndjson-v1';
export const RESULT_ALG = 'ECDH-ES+A256KW';
export const RESULT_ENC = 'A256GCM';
export const RESULT_CONTENT_TYPE = 'application/x-ndjson';

export class ResultEnvelopeError extends Error {
  override readonly name = 'ResultEnvelopeError';
}

/** NDJSON bytes of the records: JSON.stringify of each, "\n" after each (empty for no records). */
export function encodeNdjson(records: readonly object[]): Uint8Array {
  return new TextEncoder().encode(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

export function decodeNdjson(bytes: Uint8Array): Record<string, unknown>[] {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new ResultEnvelopeError('NDJSON plaintext must end with a newline');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      const value: unknown = JSON.parse(line);
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        throw new ResultEnvelopeError(`NDJSON line ${i + 1} is not a JSON object`);
      }
      return value as Record<string, unknown>;
    });
}

/** Encrypt records to a public P-256 JWK; returns the compact JWE as UTF-8 bytes. */
export async function encryptResult(records: readonly object[], recipientPublicJwk: JWK): Promise<Uint8Array> {
  if ('d' in recipientPublicJwk) throw new ResultEnvelopeError('encryptResult needs the public key, not the private one');
  const key = await importJWK({ ...recipientPublicJwk, alg: RESULT_ALG }, RESULT_ALG);
  const jwe = await new CompactEncrypt(encodeNdjson(records))
    .setProtectedHeader({
      alg: RESULT_ALG,
      enc: RESULT_ENC,
      cty: RESULT_CONTENT_TYPE,
      ...(recipientPublicJwk.kid ? { kid: recipientPublicJwk.kid } : {}),
    })
    .encrypt(key);
  return new TextEncoder().encode(jwe);
}

/** Decrypt a result with the unit's private P-256 JWK and parse its records. */
export async function decryptResult(bytes: Uint8Array, privateJwk: JWK): Promise<Record<string, unknown>[]> {
  const key = await importJWK({ ...privateJwk, alg: RESULT_ALG }, RESULT_ALG);
  const jwe = new TextDecoder().decode(bytes).trim();
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await compactDecrypt(jwe, key, {
      keyManagementAlgorithms: [RESULT_ALG],
      contentEncryptionAlgorithms: [RESULT_ENC],
    }));
  } catch (error) {
    throw new ResultEnvelopeError(`cannot decrypt result: ${(error as Error).message}`);
  }
  return decodeNdjson(plaintext);
}
