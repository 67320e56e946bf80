/**
 * Writes a result vector: `npx tsx proto/vectors/make-result-vector.ts v1` writes result-v2.json
 * (format qiao-stream-v1), `… v2` writes result-stream-v2.json (format qiao-stream-v2, frames
 * deflated with node:zlib — the tests read it with fflate, the browser's codec, too).
 * Kept so a vector can be re-made after a deliberate format change (which would be a new format name);
 * encryption is randomised, so after re-making result-v2.json run make-signed-vectors.ts: the receipt vector describes those bytes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { compactDecrypt, importJWK, type JWK } from 'jose';
import { concatBytes, decodeUtf8, encodeBase64, encodeHex, encodeUtf8 } from '../bytes';
import { nodeFrameCodec } from '../node/primitives';
import { encodeRecord, frameAad, frameNonce, RESULT_ALG, RESULT_FORMAT, RESULT_FORMAT_V1, ResultEncryptor, splitPieces } from '../result-envelope';

const which = process.argv[2];
if (which !== 'v1' && which !== 'v2') throw new Error('usage: make-result-vector.ts v1|v2 (the format qiao-stream-v1 or qiao-stream-v2)');
const format = which === 'v1' ? RESULT_FORMAT_V1 : RESULT_FORMAT;
const file = which === 'v1' ? 'result-v2.json' : 'result-stream-v2.json';

const v1 = /* keys and records of the v1 vector */ JSON.parse(readFileSync(new URL('./result-v2.json', import.meta.url), 'utf8')) as { privateJwk: JWK; publicJwk: JWK; records: object[] };
const binding = { warrantId: '6f1c2a7e-3b9d-4c51-9a0e-2d4f8b7c1e90', department: 'public_security' };
const FRAME_BYTES = 256;

const enc = await ResultEncryptor.create(v1.publicJwk, binding, { frameBytes: FRAME_BYTES, format, codec: nodeFrameCodec });
const pieces: Uint8Array[] = [enc.header];
for (const r of v1.records) pieces.push(...(await enc.push(encodeRecord(r))));
pieces.push(...(await enc.finish()));
const result = concatBytes(pieces);

const jwe = decodeUtf8(pieces[0]!.subarray(4));
const { plaintext: contentKey } = await compactDecrypt(jwe, await importJWK({ ...v1.privateJwk, alg: RESULT_ALG }, RESULT_ALG));
const frames = splitPieces(result).slice(1);
const plaintext = v1.records.map((r) => JSON.stringify(r) + '\n').join('');
const plainBytes = encodeUtf8(plaintext);
const vector = {
  description:
    `A result in format ${format}, encrypted once to the fixed P-256 key with ${FRAME_BYTES}-byte frames (writers use up to 65536). ` +
    'Decrypting `result` (base64) with `privateJwk` and `binding` gives `plaintext` (NDJSON), whose lines are `records`. ' +
    '`headerJwe`, `contentKeyHex`, `aadHex` and `frames` (nonce and final flag of each) show the intermediate values.' +
    (which === 'v2' ? ' Each frame decrypts to `deflatedHex`, raw DEFLATE (RFC 1951) that inflates to the next `plainLength` bytes of `plaintext`.' : ''),
  format,
  privateJwk: v1.privateJwk,
  publicJwk: v1.publicJwk,
  binding,
  records: v1.records,
  plaintext,
  headerJwe: jwe,
  contentKeyHex: encodeHex(contentKey),
  aadHex: encodeHex(frameAad(encodeUtf8(jwe), binding)),
  frames: frames.map((f, i) => ({
    length: f.length - 4,
    nonceHex: encodeHex(frameNonce(i, i === frames.length - 1)),
    final: i === frames.length - 1,
    ...(which === 'v2' ? deflated(i) : {}),
  })),
  result: encodeBase64(result),
};

/** v2: what frame i decrypts to. The encryptor's frames are FRAME_BYTES of plaintext each, the last the rest. */
function deflated(i: number) {
  const plain = plainBytes.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES);
  return { plainLength: plain.length, deflatedHex: encodeHex(nodeFrameCodec.deflate(plain) as Uint8Array) };
}
writeFileSync(new URL(`./${file}`, import.meta.url), `${JSON.stringify(vector, null, 2)}\n`);
console.log(`wrote ${file}: ${frames.length} frames, ${result.length} bytes`);
