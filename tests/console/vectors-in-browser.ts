/**
 * The contract's format vectors, checked by the contract's own code as the console runs it:
 * bundled for the browser (tests/console-vectors.test.ts loads it into Chromium) — WebCrypto,
 * no Node. Each check reports its name and either "ok" or what differed.
 */
import type { JWK } from 'jose';
import { decodeBase64, encodeHex } from '../../proto/bytes';
import { computeCommitment, decodeCommitmentKey, commitmentKeyId, type CommitmentKind } from '../../proto/audit-commitment';
import { auditLeafHash } from '../../proto/audit-log';
import { sha256 } from '../../proto/hash';
import { signKeyCertificate, verifyKeyCertificate, type KeyCertificateClaims } from '../../proto/key-certificate';
import { signReceipt, verifyReceipt } from '../../proto/receipt';
import { decryptResult, RESULT_FORMAT_V1 } from '../../proto/result-envelope';
import { verifyWarrant } from '../../proto/warrant';
import commitmentVector from '../../proto/vectors/audit-commitment-v1.json';
import entriesVector from '../../proto/vectors/audit-entries-v1.json';
import certVector from '../../proto/vectors/key-certificate-v1.json';
import receiptVector from '../../proto/vectors/receipt-v1.json';
import resultVector from '../../proto/vectors/result-v2.json';
import streamV2Vector from '../../proto/vectors/result-stream-v2.json';
import warrantVector from '../../proto/vectors/warrant-v1.json';

type Outcome = { name: string; result: string };
/** Equal as JSON values, whatever the order of object members. */
const sorted = (v: unknown): unknown => (Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sorted(x)])) : v);
const same = (a: unknown, b: unknown) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

async function check(name: string, run: () => Promise<string | true>): Promise<Outcome> {
  try {
    const r = await run();
    return { name, result: r === true ? 'ok' : r };
  } catch (error) {
    return { name, result: `threw ${(error as Error).name}: ${(error as Error).message}` };
  }
}

export async function runVectors(): Promise<Outcome[]> {
  const stored = decodeBase64(resultVector.result);
  return Promise.all([
    check('result-v2 decrypts to its records', async () => {
      const records = await decryptResult(stored, resultVector.privateJwk as JWK, resultVector.binding, { format: RESULT_FORMAT_V1 });
      return same(records, resultVector.records) || `records differ: ${JSON.stringify(records)}`;
    }),
    check('result-stream-v2 (deflated frames) decrypts and inflates to its records', async () => {
      const records = await decryptResult(decodeBase64(streamV2Vector.result), streamV2Vector.privateJwk as JWK, streamV2Vector.binding);
      return same(records, streamV2Vector.records) || `records differ: ${JSON.stringify(records)}`;
    }),
    check('result-v2 decrypts with a non-extractable WebCrypto key', async () => {
      const { d, x, y } = resultVector.privateJwk;
      const key = await crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x, y, d }, { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits', 'deriveKey']);
      const records = await decryptResult(stored, key, resultVector.binding, { format: RESULT_FORMAT_V1 });
      return same(records, resultVector.records) || 'records differ';
    }),
    check('receipt-v1 verifies and names the result vector', async () => {
      const claims = await verifyReceipt(receiptVector.jws, { department: 'public_security', warrantId: resultVector.binding.warrantId, publicJwk: receiptVector.publicJwk as JWK });
      if (!same(claims, receiptVector.claims)) return `claims differ: ${JSON.stringify(claims)}`;
      return (claims.bytes === stored.length && claims.ciphertext_sha256 === encodeHex(sha256(stored))) || 'bytes or digest differ';
    }),
    check('receipt-v1 is reproduced by signReceipt', async () => (await signReceipt(receiptVector.claims, receiptVector.privateJwk as JWK)) === receiptVector.jws || 'signature differs'),
    check('key-certificate-v1 verifies and is reproduced', async () => {
      const claims = await verifyKeyCertificate(certVector.jws, { unit: '150627', key: resultVector.publicJwk as JWK, authorityJwk: certVector.publicJwk as JWK, now: new Date(certVector.verifyAt * 1000) });
      if (!same(claims, certVector.claims)) return `claims differ: ${JSON.stringify(claims)}`;
      return (await signKeyCertificate(certVector.claims as KeyCertificateClaims, certVector.privateJwk as JWK)) === certVector.jws || 'signature differs';
    }),
    check('warrant-v1 verifies for its audience', async () => {
      const claims = await verifyWarrant(warrantVector.jws, { keys: warrantVector.publicJwks.keys as JWK[], audience: warrantVector.audience, now: new Date(warrantVector.verifyAt * 1000) });
      return same(claims, warrantVector.claims) || `claims differ: ${JSON.stringify(claims)}`;
    }),
    check('warrant-v1 is refused for another audience', async () => {
      const refused = await verifyWarrant(warrantVector.jws, { keys: warrantVector.publicJwks.keys as JWK[], audience: 'bank_of_nowhere', now: new Date(warrantVector.verifyAt * 1000) }).then(() => false, () => true);
      return refused || 'accepted';
    }),
    check('audit-entries-v1 leaf hashes', async () => {
      const wrong = entriesVector.entries.filter((e) => encodeHex(auditLeafHash(e.entry)) !== e.leafHashHex);
      return wrong.length === 0 || `${wrong.length} of ${entriesVector.entries.length} differ`;
    }),
    check('audit-commitment-v1 commitments', async () => {
      const key = decodeCommitmentKey(commitmentVector.keyFile);
      if ((await commitmentKeyId(key)) !== commitmentVector.keyId) return 'key id differs';
      for (const c of commitmentVector.cases) if ((await computeCommitment(key, c.kind as CommitmentKind, c.value)) !== c.commitment) return `${c.kind} ${c.value} differs`;
      return true;
    }),
  ]);
}

(globalThis as { runVectors?: typeof runVectors }).runVectors = runVectors;
