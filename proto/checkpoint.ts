import { bufferSource, concatBytes, decodeBase64, decodeBase64url, encodeBase64, encodeU32, encodeUtf8, readU32 } from './bytes';
import { sha256 } from './hash';

/**
 * Signed checkpoints of the audit log, in the text formats transparency logs share, so that
 * tools outside Qiao (Go's golang.org/x/mod/sumdb/note, transparency-dev witnesses) read them:
 *
 *   checkpoint body (transparency-dev/formats "log/checkpoint"):
 *     <origin>\n<tree size, decimal>\n<base64 root hash>\n[extension lines\n]
 *   signed note (golang.org/x/mod/sumdb/note, C2SP signed-note):
 *     <body>\n— <key name> <base64(4-byte key id ‖ Ed25519 signature over body)>\n …
 *
 * The key id is the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key); a verifier key is
 * written `<name>+<key id, 8 hex>+<base64(0x01 ‖ public key)>`, which is what an auditor pins.
 *
 * Ed25519 runs through WebCrypto (Node 20 and current browsers), so signing and opening a note
 * are asynchronous; key ids and parsing are not.
 */

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

type CryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const ALG_ED25519 = 0x01;
const SIG_PREFIX = '\u2014 ';
const ED25519 = { name: 'Ed25519' } as const;

export interface NoteVerifier {
  name: string;
  keyId: number;
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
}

export interface NoteSigner extends NoteVerifier {
  privateKey: CryptoKey;
}

/** An Ed25519 private key as JWK (`kty: OKP`, `crv: Ed25519`, `d`, `x`), as jose, WebCrypto and node:crypto export it. */
export interface Ed25519PrivateJwk {
  kty?: string;
  crv?: string;
  d?: string;
  x?: string;
}

function checkName(name: string): void {
  if (!name || /[\s+]/.test(name)) throw new CheckpointError(`key name ${JSON.stringify(name)} must be non-empty, without spaces or '+'`);
}

function checkRawKey(raw: Uint8Array): Uint8Array {
  if (raw.length !== 32) throw new CheckpointError(`an Ed25519 public key is 32 bytes, not ${raw.length}`);
  return raw;
}

/** The 4-byte key id of an Ed25519 note key, as an unsigned 32-bit integer. */
export function noteKeyId(name: string, rawPublicKey: Uint8Array): number {
  return readU32(sha256(name, '\n', Uint8Array.of(ALG_ED25519), rawPublicKey));
}

/** `<name>+<id>+<base64(0x01 ‖ key)>`, the string an auditor or department pins. */
export function verifierKeyString(name: string, rawPublicKey: Uint8Array): string {
  checkName(name);
  const id = noteKeyId(name, checkRawKey(rawPublicKey)).toString(16).padStart(8, '0');
  return `${name}+${id}+${encodeBase64(concatBytes([Uint8Array.of(ALG_ED25519), rawPublicKey]))}`;
}

export function parseVerifierKey(text: string): NoteVerifier {
  const trimmed = text.trim();
  const m = /^([^\s+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(trimmed);
  if (!m) throw new CheckpointError('a verifier key has the form <name>+<8 hex digits>+<base64 key>');
  const [, name, idHex, keyB64] = m as unknown as [string, string, string, string];
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64(keyB64);
  } catch {
    throw new CheckpointError('the verifier key is not canonical base64');
  }
  if (bytes[0] !== ALG_ED25519) throw new CheckpointError(`verifier key algorithm ${bytes[0]} is not Ed25519 (1)`);
  const raw = checkRawKey(bytes.subarray(1));
  const keyId = noteKeyId(name, raw);
  if (keyId !== Number.parseInt(idHex, 16)) throw new CheckpointError(`the verifier key id ${idHex} does not match its name and key`);
  return { name, keyId, publicKey: raw };
}

/** A note verifier for a known key name and a public Ed25519 JWK's `x`. */
export function noteVerifierFromJwk(name: string, jwk: { kty?: string; crv?: string; x?: string }): NoteVerifier {
  checkName(name);
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.x) throw new CheckpointError('the checkpoint key must be an Ed25519 JWK (kty OKP, crv Ed25519, with x)');
  const raw = checkRawKey(decodeBase64url(jwk.x));
  return { name, keyId: noteKeyId(name, raw), publicKey: raw };
}

const importVerifyKey = (raw: Uint8Array) => crypto.subtle.importKey('raw', bufferSource(raw), ED25519, false, ['verify']);

/**
 * A note signer from an Ed25519 private JWK and a key name. The JWK's `x` is checked against its
 * `d` by a trial signature: a mismatch would sign checkpoints no pinned verifier can open.
 */
export async function noteSigner(name: string, privateJwk: Ed25519PrivateJwk): Promise<NoteSigner> {
  checkName(name);
  const { kty, crv, d, x } = privateJwk;
  if (kty !== 'OKP' || crv !== 'Ed25519') throw new CheckpointError(`the checkpoint key must be Ed25519 (kty OKP, crv Ed25519), not ${kty}/${crv ?? '-'}`);
  if (!d || !x) throw new CheckpointError('the checkpoint key must be a private JWK with both d and x');
  let privateKey: CryptoKey;
  try {
    privateKey = await crypto.subtle.importKey('jwk', { kty, crv, d, x }, ED25519, false, ['sign']);
  } catch (error) {
    throw new CheckpointError(`the checkpoint key does not import as an Ed25519 private key (${(error as Error).message}): is x the public key of d?`);
  }
  const publicKey = checkRawKey(decodeBase64url(x));
  const probe = encodeUtf8(`qiao checkpoint key check\n`);
  const signature = await crypto.subtle.sign(ED25519, privateKey, bufferSource(probe));
  if (!(await crypto.subtle.verify(ED25519, await importVerifyKey(publicKey), signature, bufferSource(probe)))) {
    throw new CheckpointError('the checkpoint key\'s x is not the public key of its d');
  }
  return { name, keyId: noteKeyId(name, publicKey), publicKey, privateKey };
}

/** Signs `text` (which must end in a newline) and returns the signed note. */
export async function signNote(text: string, signer: NoteSigner): Promise<string> {
  if (!text.endsWith('\n')) throw new CheckpointError('a note text must end with a newline');
  if (text.includes('\n\n')) throw new CheckpointError('a note text must not contain a blank line');
  const sig = new Uint8Array(await crypto.subtle.sign(ED25519, signer.privateKey, bufferSource(encodeUtf8(text))));
  return `${text}\n${SIG_PREFIX}${signer.name} ${encodeBase64(concatBytes([encodeU32(signer.keyId), sig]))}\n`;
}

/**
 * Opens a signed note: returns its text if `verifier` signed it. Signatures of other keys are
 * ignored (a checkpoint may carry witnesses' cosignatures); a bad signature by the pinned key
 * is an error, as is a note without one.
 */
export async function openNote(note: string, verifier: NoteVerifier): Promise<string> {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new CheckpointError('not a signed note: no blank line before the signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  let found = false;
  let key: CryptoKey | undefined;
  for (const line of lines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/.exec(line);
    if (!m) throw new CheckpointError(`malformed signature line ${JSON.stringify(line.slice(0, 80))}`);
    const [, name, blob] = m as unknown as [string, string, string];
    let bytes: Uint8Array;
    try {
      bytes = decodeBase64(blob);
    } catch {
      throw new CheckpointError(`the signature of ${name} is not canonical base64`);
    }
    if (bytes.length < 5) throw new CheckpointError('a signature line is too short');
    if (name !== verifier.name || readU32(bytes) !== verifier.keyId) continue;
    key ??= await importVerifyKey(verifier.publicKey);
    if (!(await crypto.subtle.verify(ED25519, key, bufferSource(bytes.subarray(4)), bufferSource(encodeUtf8(text))))) {
      throw new CheckpointError(`the signature of ${name} does not verify: the note was altered or not signed by the pinned key`);
    }
    found = true;
  }
  if (!found) throw new CheckpointError(`the note carries no signature by ${verifier.name}+${verifier.keyId.toString(16).padStart(8, '0')}`);
  return text;
}

export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  /** Extension lines after the root, kept as they are. */
  extensions: string[];
}

export function formatCheckpoint(cp: Pick<Checkpoint, 'origin' | 'size' | 'root'> & { extensions?: string[] }): string {
  if (!cp.origin || cp.origin.includes('\n')) throw new CheckpointError('the origin must be one non-empty line');
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw new CheckpointError(`bad tree size ${cp.size}`);
  if (cp.root.length !== 32) throw new CheckpointError('the root must be a 32-byte hash');
  const ext = (cp.extensions ?? []).map((l) => `${l}\n`).join('');
  return `${cp.origin}\n${cp.size}\n${encodeBase64(cp.root)}\n${ext}`;
}

export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') throw new CheckpointError('a checkpoint has at least three lines, each ending in a newline');
  const [origin, sizeText, rootText, ...rest] = lines.slice(0, -1) as [string, string, string, ...string[]];
  if (!origin) throw new CheckpointError('the checkpoint origin is empty');
  if (!/^(0|[1-9]\d*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw new CheckpointError(`bad tree size ${JSON.stringify(sizeText)}`);
  let root: Uint8Array;
  try {
    root = decodeBase64(rootText);
  } catch {
    root = new Uint8Array(0);
  }
  if (root.length !== 32) throw new CheckpointError('the root hash is not 32 bytes of canonical base64');
  if (rest.some((l) => l === '')) throw new CheckpointError('a checkpoint extension line is empty');
  return { origin, size: Number(sizeText), root, extensions: rest };
}

export function signCheckpoint(cp: Pick<Checkpoint, 'origin' | 'size' | 'root'> & { extensions?: string[] }, signer: NoteSigner): Promise<string> {
  return signNote(formatCheckpoint(cp), signer);
}

/** Verifies the pinned key's signature and the expected origin, then parses the checkpoint. */
export async function openCheckpoint(note: string, verifier: NoteVerifier, origin: string): Promise<Checkpoint> {
  const cp = parseCheckpoint(await openNote(note, verifier));
  if (cp.origin !== origin) throw new CheckpointError(`the checkpoint is for log ${JSON.stringify(cp.origin)}, not ${JSON.stringify(origin)}`);
  return cp;
}
