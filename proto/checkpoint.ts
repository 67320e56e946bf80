import { createHash, createPrivateKey, createPublicKey, sign, verify, type JsonWebKey, type KeyObject } from 'node:crypto';

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
 */

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

const ALG_ED25519 = 0x01;
const SIG_PREFIX = '\u2014 ';
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface NoteVerifier {
  name: string;
  keyId: number;
  publicKey: KeyObject;
}

export interface NoteSigner extends NoteVerifier {
  privateKey: KeyObject;
}

function checkName(name: string): void {
  if (!name || /[\s+]/.test(name)) throw new CheckpointError(`key name ${JSON.stringify(name)} must be non-empty, without spaces or '+'`);
}

/** The 4-byte key id of an Ed25519 note key, as an unsigned 32-bit integer. */
export function noteKeyId(name: string, rawPublicKey: Uint8Array): number {
  const h = createHash('sha256').update(name).update('\n').update(Uint8Array.of(ALG_ED25519)).update(rawPublicKey).digest();
  return h.readUInt32BE(0);
}

export function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new CheckpointError(`an Ed25519 public key is 32 bytes, not ${raw.length}`);
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** `<name>+<id>+<base64(0x01 ‖ key)>`, the string an auditor or department pins. */
export function verifierKeyString(name: string, publicKey: KeyObject): string {
  checkName(name);
  const raw = rawPublicKey(publicKey);
  const id = noteKeyId(name, raw).toString(16).padStart(8, '0');
  return `${name}+${id}+${Buffer.concat([Uint8Array.of(ALG_ED25519), raw]).toString('base64')}`;
}

export function parseVerifierKey(text: string): NoteVerifier {
  const trimmed = text.trim();
  const m = /^([^\s+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(trimmed);
  if (!m) throw new CheckpointError('a verifier key has the form <name>+<8 hex digits>+<base64 key>');
  const [, name, idHex, keyB64] = m as unknown as [string, string, string, string];
  const bytes = Buffer.from(keyB64, 'base64');
  if (bytes.toString('base64') !== keyB64) throw new CheckpointError('the verifier key is not canonical base64');
  if (bytes[0] !== ALG_ED25519) throw new CheckpointError(`verifier key algorithm ${bytes[0]} is not Ed25519 (1)`);
  const raw = bytes.subarray(1);
  const keyId = noteKeyId(name, raw);
  if (keyId !== Number.parseInt(idHex, 16)) throw new CheckpointError(`the verifier key id ${idHex} does not match its name and key`);
  return { name, keyId, publicKey: publicKeyFromRaw(raw) };
}

/** A note signer from an Ed25519 private key (a JWK with `d`, or a KeyObject) and a key name. */
export function noteSigner(name: string, privateKey: KeyObject | JsonWebKey): NoteSigner {
  checkName(name);
  const key = 'type' in privateKey && typeof privateKey.export === 'function' ? (privateKey as KeyObject) : createPrivateKey({ key: privateKey as JsonWebKey, format: 'jwk' });
  if (key.asymmetricKeyType !== 'ed25519') throw new CheckpointError(`the checkpoint key must be Ed25519, not ${key.asymmetricKeyType}`);
  const publicKey = createPublicKey(key);
  return { name, keyId: noteKeyId(name, rawPublicKey(publicKey)), publicKey, privateKey: key };
}

/** Signs `text` (which must end in a newline) and returns the signed note. */
export function signNote(text: string, signer: NoteSigner): string {
  if (!text.endsWith('\n')) throw new CheckpointError('a note text must end with a newline');
  if (text.includes('\n\n')) throw new CheckpointError('a note text must not contain a blank line');
  const sig = sign(null, Buffer.from(text, 'utf8'), signer.privateKey);
  const id = Buffer.alloc(4);
  id.writeUInt32BE(signer.keyId);
  return `${text}\n${SIG_PREFIX}${signer.name} ${Buffer.concat([id, sig]).toString('base64')}\n`;
}

/**
 * Opens a signed note: returns its text if `verifier` signed it. Signatures of other keys are
 * ignored (a checkpoint may carry witnesses' cosignatures); a bad signature by the pinned key
 * is an error, as is a note without one.
 */
export function openNote(note: string, verifier: NoteVerifier): string {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new CheckpointError('not a signed note: no blank line before the signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  let found = false;
  for (const line of lines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/.exec(line);
    if (!m) throw new CheckpointError(`malformed signature line ${JSON.stringify(line.slice(0, 80))}`);
    const [, name, blob] = m as unknown as [string, string, string];
    const bytes = Buffer.from(blob, 'base64');
    if (bytes.length < 5) throw new CheckpointError('a signature line is too short');
    if (name !== verifier.name || bytes.readUInt32BE(0) !== verifier.keyId) continue;
    if (!verify(null, Buffer.from(text, 'utf8'), verifier.publicKey, bytes.subarray(4))) {
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
  return `${cp.origin}\n${cp.size}\n${Buffer.from(cp.root).toString('base64')}\n${ext}`;
}

export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') throw new CheckpointError('a checkpoint has at least three lines, each ending in a newline');
  const [origin, sizeText, rootText, ...rest] = lines.slice(0, -1) as [string, string, string, ...string[]];
  if (!origin) throw new CheckpointError('the checkpoint origin is empty');
  if (!/^(0|[1-9]\d*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw new CheckpointError(`bad tree size ${JSON.stringify(sizeText)}`);
  const root = Buffer.from(rootText, 'base64');
  if (root.length !== 32 || root.toString('base64') !== rootText) throw new CheckpointError('the root hash is not 32 bytes of canonical base64');
  if (rest.some((l) => l === '')) throw new CheckpointError('a checkpoint extension line is empty');
  return { origin, size: Number(sizeText), root, extensions: rest };
}

export function signCheckpoint(cp: Pick<Checkpoint, 'origin' | 'size' | 'root'> & { extensions?: string[] }, signer: NoteSigner): string {
  return signNote(formatCheckpoint(cp), signer);
}

/** Verifies the pinned key's signature and the expected origin, then parses the checkpoint. */
export function openCheckpoint(note: string, verifier: NoteVerifier, origin: string): Checkpoint {
  const cp = parseCheckpoint(openNote(note, verifier));
  if (cp.origin !== origin) throw new CheckpointError(`the checkpoint is for log ${JSON.stringify(cp.origin)}, not ${JSON.stringify(origin)}`);
  return cp;
}
