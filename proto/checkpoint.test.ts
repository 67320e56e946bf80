import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  noteSigner,
  openCheckpoint,
  openNote,
  parseVerifierKey,
  signCheckpoint,
  signNote,
  verifierKeyString,
} from './checkpoint';

// golang.org/x/mod/sumdb/note, note_test.go and the package documentation: Ed25519 is
// deterministic, so signing the same text with the same key must give the same note.
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

function goSigner() {
  const seed = Buffer.from(GO_SKEY.split('+').slice(4).join('+'), 'base64').subarray(1);
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return noteSigner('PeterNeumann', createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
}

describe('signed notes (Go sumdb/note vector)', () => {
  it('signs the Go example byte for byte and derives the same verifier key', () => {
    const signer = goSigner();
    expect(verifierKeyString('PeterNeumann', signer.publicKey)).toBe(GO_VKEY);
    expect(signNote(GO_TEXT, signer)).toBe(GO_NOTE);
  });

  it('opens the Go note with the pinned verifier key and refuses an altered one', () => {
    const v = parseVerifierKey(GO_VKEY);
    expect(v.keyId).toBe(0xc74f20a3);
    expect(openNote(GO_NOTE, v)).toBe(GO_TEXT);
    expect(() => openNote(GO_NOTE.replace('cryptography', 'cryptographY'), v)).toThrow(/does not verify/);
  });

  it('refuses a verifier key whose id does not match', () => {
    expect(() => parseVerifierKey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(CheckpointError);
  });
});

describe('checkpoints', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const signer = noteSigner('qiao-audit', privateKey);
  const verifier = parseVerifierKey(verifierKeyString('qiao-audit', signer.publicKey));
  const root = Buffer.alloc(32, 7);

  it('round-trips origin, size and root', () => {
    const note = signCheckpoint({ origin: 'qiao.example/audit', size: 42, root }, signer);
    expect(note.split('\n').slice(0, 4)).toEqual(['qiao.example/audit', '42', root.toString('base64'), '']);
    const cp = openCheckpoint(note, verifier, 'qiao.example/audit');
    expect({ size: cp.size, root: Buffer.from(cp.root) }).toEqual({ size: 42, root });
  });

  it('refuses another log, another key, a changed size', () => {
    const note = signCheckpoint({ origin: 'qiao.example/audit', size: 42, root }, signer);
    expect(() => openCheckpoint(note, verifier, 'other/log')).toThrow(/not "other\/log"/);
    const other = noteSigner('qiao-audit', generateKeyPairSync('ed25519').privateKey);
    expect(() => openCheckpoint(note, parseVerifierKey(verifierKeyString('qiao-audit', other.publicKey)), 'qiao.example/audit')).toThrow(/no signature/);
    expect(() => openCheckpoint(note.replace('\n42\n', '\n41\n'), verifier, 'qiao.example/audit')).toThrow(/does not verify/);
  });
});
