/**
 * Writes proto/vectors/receipt-v1.json and key-certificate-v1.json:
 * `npx tsx proto/vectors/make-signed-vectors.ts`. Ed25519 is deterministic, so re-running with the
 * same keys reproduces the same JWS; the keys are made once and then read back from the vectors.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { JWK } from 'jose';
import { decodeBase64, encodeHex } from '../bytes';
import { sha256 } from '../hash';
import { KEY_CERT_ISSUER, signKeyCertificate, type KeyCertificateClaims } from '../key-certificate';
import { signReceipt, type ReceiptClaims } from '../receipt';
import { newEd25519SigningJwks } from '../node/keys';

const at = (name: string) => new URL(`./${name}`, import.meta.url);
const read = (name: string) => (existsSync(at(name)) ? (JSON.parse(readFileSync(at(name), 'utf8')) as { privateJwk: JWK; publicJwk: JWK }) : null);

async function keyPair(kid: string, existing: { privateJwk: JWK; publicJwk: JWK } | null) {
  if (existing) return { privateJwk: existing.privateJwk, publicJwk: existing.publicJwk };
  return newEd25519SigningJwks(kid);
}

const result = JSON.parse(readFileSync(at('result-v2.json'), 'utf8')) as { binding: { warrantId: string; department: string }; result: string; records: unknown[]; publicJwk: JWK };
const resultBytes = decodeBase64(result.result);

const department = await keyPair('receipt-public-security-test', read('receipt-v1.json'));
const receiptClaims: ReceiptClaims = {
  iss: result.binding.department,
  warrant_id: result.binding.warrantId,
  inquiry_id: '5d2c8f0e-7a41-4b9c-8e3f-1c2d3e4f5a6b',
  format: 'qiao-stream-v1',
  records: result.records.length,
  bytes: resultBytes.length,
  ciphertext_sha256: encodeHex(sha256(resultBytes)),
  iat: 1715000060,
};
writeFileSync(at('receipt-v1.json'), `${JSON.stringify({
  description: 'The receipt of public_security for the result of result-v2.json. Verify `jws` with `publicJwk`; its payload equals `claims`, whose bytes and ciphertext_sha256 are those of result-v2.json `result`. Ed25519 is deterministic: signing `claims` with `privateJwk` reproduces `jws`.',
  ...department,
  claims: receiptClaims,
  jws: await signReceipt(receiptClaims, department.privateJwk),
}, null, 2)}\n`);

const authority = await keyPair('directory-authority-test', read('key-certificate-v1.json'));
const { kty, crv, x, y } = result.publicJwk as Required<Pick<JWK, 'kty' | 'crv' | 'x' | 'y'>>;
const certClaims: KeyCertificateClaims = { iss: KEY_CERT_ISSUER, unit: '150627', key: { kty: kty as 'EC', crv: crv as 'P-256', x, y }, iat: 1715000000, exp: 1746536000 };
writeFileSync(at('key-certificate-v1.json'), `${JSON.stringify({
  description: "The directory authority's certificate of unit 150627's key (the recipient key of result-v2.json and warrant-v1.json). Verify `jws` with `publicJwk` (the pinned authority key) at Unix time `verifyAt`; the payload equals `claims`.",
  ...authority,
  verifyAt: 1715000100,
  claims: certClaims,
  jws: await signKeyCertificate(certClaims, authority.privateJwk),
}, null, 2)}\n`);
console.log('wrote receipt-v1.json and key-certificate-v1.json');
