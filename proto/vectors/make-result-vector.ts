/**
 * Writes proto/vectors/result-v2.json: `npx tsx proto/vectors/make-result-vector.ts`.
 * Kept so the vector can be re-made after a deliberate format change (which would be a new format name);
 * encryption is randomised, so run make-signed-vectors.ts afterwards: the receipt vector describes these bytes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { compactDecrypt, importJWK, type JWK } from 'jose';
import { concatBytes, decodeUtf8, encodeBase64, encodeHex, encodeUtf8 } from '../bytes';
import { encodeRecord, frameAad, frameNonce, RESULT_ALG, RESULT_FORMAT, ResultEncryptor, splitPieces } from '../result-envelope';

const v1 = /* keys and records of the previous run */ JSON.parse(readFileSync(new URL('./result-v2.json', import.meta.url), 'utf8')) as { privateJwk: JWK; publicJwk: JWK; records: object[] };
const binding = { warrantId: '6f1c2a7e-3b9d-4c51-9a0e-2d4f8b7c1e90', department: 'public_security' };
const FRAME_BYTES = 256;

const enc = await ResultEncryptor.create(v1.publicJwk, binding, { frameBytes: FRAME_BYTES });
const pieces: Uint8Array[] = [enc.header];
for (const r of v1.records) pieces.push(...(await enc.push(encodeRecord(r))));
pieces.push(...(await enc.finish()));
const result = concatBytes(pieces);

const jwe = decodeUtf8(pieces[0]!.subarray(4));
const { plaintext: contentKey } = await compactDecrypt(jwe, await importJWK({ ...v1.privateJwk, alg: RESULT_ALG }, RESULT_ALG));
const frames = splitPieces(result).slice(1);
const vector = {
  description:
    `A result in format ${RESULT_FORMAT}, encrypted once to the fixed P-256 key with ${FRAME_BYTES}-byte frames (writers use up to 65536). ` +
    'Decrypting `result` (base64) with `privateJwk` and `binding` gives `plaintext` (NDJSON), whose lines are `records`. ' +
    '`headerJwe`, `contentKeyHex`, `aadHex` and `frames` (nonce and final flag of each) show the intermediate values.',
  format: RESULT_FORMAT,
  privateJwk: v1.privateJwk,
  publicJwk: v1.publicJwk,
  binding,
  records: v1.records,
  plaintext: v1.records.map((r) => JSON.stringify(r) + '\n').join(''),
  headerJwe: jwe,
  contentKeyHex: encodeHex(contentKey),
  aadHex: encodeHex(frameAad(encodeUtf8(jwe), binding)),
  frames: frames.map((f, i) => ({
    length: f.length - 4,
    nonceHex: encodeHex(frameNonce(i, i === frames.length - 1)),
    final: i === frames.length - 1,
  })),
  result: encodeBase64(result),
};
writeFileSync(new URL('./result-v2.json', import.meta.url), `${JSON.stringify(vector, null, 2)}\n`);
console.log(`wrote result-v2.json: ${frames.length} frames, ${result.length} bytes`);
