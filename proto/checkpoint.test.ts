import { describe, expect, it } from 'vitest';
import { concatBytes, decodeBase64, decodeHex, encodeBase64 } from './bytes';
import {
  CheckpointError,
  type Ed25519PrivateJwk,
  noteSigner,
  openCheckpoint,
  openNote,
  parseVerifierKey,
  signCheckpoint,
  signNote,
  verifierKeyString,
} from './checkpoint';
import { jwkPair, newEd25519PrivateKey } from './node/keys';

// golang.org/x/mod/sumdb/note, note_test.go and the package documentation: Ed25519 is
// deterministic, so signing the same text with the same key must give the same note.
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

/** The Go private key is a bare Ed25519 seed: WebCrypto takes it as PKCS#8 and derives the public key (the JWK's x) itself. */
async function goSigner() {
  const seed = decodeBase64(GO_SKEY.split('+').slice(4).join('+')).subarray(1);
  const pkcs8 = concatBytes([decodeHex('302e020100300506032b657004220420'), seed]);
  const key = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']);
  return noteSigner('PeterNeumann', (await crypto.subtle.exportKey('jwk', key)) as Ed25519PrivateJwk);
}

async function freshKey(): Promise<Ed25519PrivateJwk> {
  return jwkPair(newEd25519PrivateKey()).privateJwk as Ed25519PrivateJwk;
}

describe('signed notes (Go sumdb/note vector)', () => {
  it('signs the Go example byte for byte and derives the same verifier key', async () => {
    const signer = await goSigner();
    expect(verifierKeyString('PeterNeumann', signer.publicKey)).toBe(GO_VKEY);
    expect(await signNote(GO_TEXT, signer)).toBe(GO_NOTE);
  });

  it('opens the Go note with the pinned verifier key and refuses an altered one', async () => {
    const v = parseVerifierKey(GO_VKEY);
    expect(v.keyId).toBe(0xc74f20a3);
    expect(await openNote(GO_NOTE, v)).toBe(GO_TEXT);
    await expect(openNote(GO_NOTE.replace('cryptography', 'cryptographY'), v)).rejects.toThrow(/does not verify/);
  });

  it('refuses a verifier key whose id does not match', () => {
    expect(() => parseVerifierKey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(CheckpointError);
  });
});

describe('checkpoints', () => {
  const signer = freshKey().then((key) => noteSigner('qiao-audit', key));
  const root = new Uint8Array(32).fill(7);

  it('round-trips origin, size and root', async () => {
    const verifier = parseVerifierKey(verifierKeyString('qiao-audit', (await signer).publicKey));
    const note = await signCheckpoint({ origin: 'qiao.example/audit', size: 42, root }, await signer);
    expect(note.split('\n').slice(0, 4)).toEqual(['qiao.example/audit', '42', encodeBase64(root), '']);
    const cp = await openCheckpoint(note, verifier, 'qiao.example/audit');
    expect({ size: cp.size, root: cp.root }).toEqual({ size: 42, root });
  });

  it('refuses another log, another key, a changed size', async () => {
    const verifier = parseVerifierKey(verifierKeyString('qiao-audit', (await signer).publicKey));
    const note = await signCheckpoint({ origin: 'qiao.example/audit', size: 42, root }, await signer);
    await expect(openCheckpoint(note, verifier, 'other/log')).rejects.toThrow(/not "other\/log"/);
    const other = await noteSigner('qiao-audit', await freshKey());
    await expect(openCheckpoint(note, parseVerifierKey(verifierKeyString('qiao-audit', other.publicKey)), 'qiao.example/audit')).rejects.toThrow(/no signature/);
    await expect(openCheckpoint(note.replace('\n42\n', '\n41\n'), verifier, 'qiao.example/audit')).rejects.toThrow(/does not verify/);
  });

  it('refuses a private key whose x is not the public key of its d', async () => {
    const [a, b] = [await freshKey(), await freshKey()];
    await expect(noteSigner('qiao-audit', { ...a, x: b.x })).rejects.toThrow(CheckpointError);
    await expect(noteSigner('qiao-audit', { kty: 'EC', crv: 'P-256', d: a.d, x: a.x })).rejects.toThrow(/must be Ed25519/);
  });
});
