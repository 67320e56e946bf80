import type { JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64url, encodeHex } from './bytes';
import { sha256 } from './hash';
import { KeyCertificateError, signKeyCertificate, verifyKeyCertificate, type KeyCertificateClaims } from './key-certificate';
import { ReceiptError, signReceipt, verifyReceipt } from './receipt';
import certVector from './vectors/key-certificate-v1.json';
import receiptVector from './vectors/receipt-v1.json';
import resultVector from './vectors/result-v2.json';

const receiptKey = receiptVector.publicJwk as JWK;
const authority = certVector.publicJwk as JWK;
const binding = resultVector.binding;

describe('receipt vector', () => {
  it('verifies with the department key and describes exactly the result vector', async () => {
    const claims = await verifyReceipt(receiptVector.jws, { department: 'public_security', warrantId: binding.warrantId, publicJwk: receiptKey });
    expect(claims).toEqual(receiptVector.claims);
    const bytes = decodeBase64(resultVector.result);
    expect(claims.bytes).toBe(bytes.length);
    expect(claims.ciphertext_sha256).toBe(encodeHex(sha256(bytes)));
  });
  it('is reproduced exactly by signReceipt (Ed25519 is deterministic)', async () => {
    expect(await signReceipt(receiptVector.claims, receiptVector.privateJwk as JWK)).toBe(receiptVector.jws);
  });
  it('is refused for another department, another warrant, another key, or when altered', async () => {
    const verify = (jws: string, o: Partial<{ department: string; warrantId: string; publicJwk: JWK }> = {}) =>
      verifyReceipt(jws, { department: 'public_security', warrantId: binding.warrantId, publicJwk: receiptKey, ...o });
    await expect(verify(receiptVector.jws, { department: 'bank' })).rejects.toThrow(/issued by public_security, not bank/);
    await expect(verify(receiptVector.jws, { warrantId: 'other' })).rejects.toThrow(/for warrant .* not other/);
    await expect(verify(receiptVector.jws, { publicJwk: { ...authority, kid: receiptKey.kid } })).rejects.toThrow(ReceiptError);
    const [h, p, s] = receiptVector.jws.split('.');
    const altered = encodeBase64url(JSON.stringify({ ...receiptVector.claims, records: 99 }));
    await expect(verify(`${h}.${altered}.${s}`)).rejects.toThrow(/signature does not verify/);
    expect(p).toBeTruthy();
  });
});

describe('key certificate vector', () => {
  const key = resultVector.publicJwk as JWK;
  const now = new Date(certVector.verifyAt * 1000);
  it("verifies with the authority key for the unit's key", async () => {
    expect(await verifyKeyCertificate(certVector.jws, { unit: '150627', key, authorityJwk: authority, now })).toEqual(certVector.claims);
    expect(await signKeyCertificate(certVector.claims as KeyCertificateClaims, certVector.privateJwk as JWK)).toBe(certVector.jws);
  });
  it('is refused for another unit, another key, after expiry, or under another authority', async () => {
    const check = (o: Partial<{ unit: string; key: JWK; authorityJwk: JWK; now: Date }>) =>
      verifyKeyCertificate(certVector.jws, { unit: '150627', key, authorityJwk: authority, now, ...o });
    await expect(check({ unit: '150600' })).rejects.toThrow(/for unit 150627, not 150600/);
    await expect(check({ key: { ...key, x: receiptKey.x } })).rejects.toThrow(/not the one certified/);
    await expect(check({ now: new Date((certVector.claims.exp + 1) * 1000) })).rejects.toThrow(/expired/);
    await expect(check({ authorityJwk: { ...receiptKey, kid: authority.kid } })).rejects.toThrow(KeyCertificateError);
    // Verified once above, and remembered: still refused under another kid of the same key.
    await expect(check({ authorityJwk: { ...authority, kid: 'another-kid' } })).rejects.toThrow(/signed with key/);
    expect(await check({})).toEqual(certVector.claims);
  });
});
