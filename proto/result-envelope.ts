import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, importJWK, type JWK } from 'jose';

/**
 * The result envelope, format `qiao-stream-v1`: the records a department returns, encrypted to
 * the requesting unit's public key so that only that unit can read them — the gateway that carries
 * them cannot. One format for every size, written and read as a stream with bounded memory.
 *
 *   result  = headerBlock frame+              (at least one frame; the last one is final)
 *   headerBlock = u32be(n) JWE[n]             compact JWE (ECDH-ES+A256KW, A256GCM) of the 32-byte content key
 *   frame   = u32be(m) AES-256-GCM(ciphertext ‖ 16-byte tag)[m]   plaintext ≤ 64 KiB of NDJSON
 *   nonce_i = 0x000000 ‖ u64be(i) ‖ final(0x00|0x01)              i = 0, 1, 2 …
 *   aad     = SHA-256(JWE) ‖ u16be(len jti) ‖ jti ‖ u16be(len department) ‖ department   (UTF-8)
 *
 * The counter and final flag make a dropped, reordered, truncated or extended frame fail; the
 * header digest, warrant id and department in the AAD make a frame moved from another result fail.
 * Records (NDJSON lines) may span frames. Specified in docs/formats.md with vectors/result-v2.json.
 */

export const RESULT_FORMAT = 'qiao-stream-v1';
export const RESULT_ALG = 'ECDH-ES+A256KW';
export const RESULT_ENC = 'A256GCM';
/** `cty` of the header JWE: its plaintext is the raw 32-byte frame key. */
export const RESULT_KEY_CONTENT_TYPE = 'application/qiao-frame-key';
export const FRAME_PLAINTEXT_BYTES = 64 * 1024;
export const MAX_HEADER_BYTES = 16 * 1024;
const TAG_BYTES = 16;

/** What a result is bound to: the warrant it answers and the department that answered. */
export interface ResultBinding {
  warrantId: string;
  department: string;
}

/** A named failed check, e.g. `frame-authentication`, so the reader knows what went wrong. */
export type ResultCheck =
  | 'header'
  | 'header-decryption'
  | 'frame-authentication'
  | 'frame-size'
  | 'truncated'
  | 'extended'
  | 'ndjson';

export class ResultEnvelopeError extends Error {
  override readonly name = 'ResultEnvelopeError';
  constructor(
    readonly check: ResultCheck,
    message: string,
  ) {
    super(`${check} check failed: ${message}`);
  }
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > 0xffff) throw new Error('binding value too long');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/** The associated data of every frame of one result. */
export function frameAad(headerJwe: Uint8Array, binding: ResultBinding): Buffer {
  return Buffer.concat([
    createHash('sha256').update(headerJwe).digest(),
    lengthPrefixed(binding.warrantId),
    lengthPrefixed(binding.department),
  ]);
}

export function frameNonce(counter: number, final: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(counter), 3);
  nonce[11] = final ? 1 : 0;
  return nonce;
}

/**
 * Writes one result. `header` is the first piece; each `push` returns the frames that became full;
 * `finish` returns the final frame. Pieces concatenated in order are the result.
 */
export class ResultEncryptor {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private counter = 0;
  private done = false;

  private constructor(
    readonly header: Uint8Array,
    private readonly key: Buffer,
    private readonly aad: Buffer,
    private readonly frameBytes: number,
  ) {}

  static async create(
    recipientPublicJwk: JWK,
    binding: ResultBinding,
    options: { frameBytes?: number } = {},
  ): Promise<ResultEncryptor> {
    if ('d' in recipientPublicJwk) throw new Error('a result is encrypted to the public key, not the private one');
    const frameBytes = options.frameBytes ?? FRAME_PLAINTEXT_BYTES;
    if (frameBytes < 1 || frameBytes > FRAME_PLAINTEXT_BYTES) throw new Error(`frameBytes must be 1…${FRAME_PLAINTEXT_BYTES}`);
    const key = randomBytes(32);
    const publicKey = await importJWK({ ...recipientPublicJwk, alg: RESULT_ALG }, RESULT_ALG);
    const jwe = await new CompactEncrypt(key)
      .setProtectedHeader({
        alg: RESULT_ALG,
        enc: RESULT_ENC,
        cty: RESULT_KEY_CONTENT_TYPE,
        ...(recipientPublicJwk.kid ? { kid: recipientPublicJwk.kid } : {}),
      })
      .encrypt(publicKey);
    const jweBytes = Buffer.from(jwe, 'ascii');
    return new ResultEncryptor(Buffer.concat([u32(jweBytes.length), jweBytes]), key, frameAad(jweBytes, binding), frameBytes);
  }

  /** Plaintext in; the frames that are now full out (often none). */
  push(plaintext: Uint8Array): Buffer[] {
    if (this.done) throw new Error('result already finished');
    const out: Buffer[] = [];
    let data = Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
    while (data.length > 0) {
      // A full frame is sealed only once more data arrives: the last frame must carry the final flag.
      if (this.pendingBytes === this.frameBytes) out.push(this.seal(false));
      const take = Math.min(this.frameBytes - this.pendingBytes, data.length);
      this.pending.push(data.subarray(0, take));
      this.pendingBytes += take;
      data = data.subarray(take);
    }
    return out;
  }

  /** The final frame (possibly empty). */
  finish(): Buffer {
    if (this.done) throw new Error('result already finished');
    this.done = true;
    return this.seal(true);
  }

  private seal(final: boolean): Buffer {
    const plaintext = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    const cipher = createCipheriv('aes-256-gcm', this.key, frameNonce(this.counter++, final));
    cipher.setAAD(this.aad);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return Buffer.concat([u32(body.length), body]);
  }
}

/** NDJSON line of one record: JSON.stringify, then "\n". */
export function encodeRecord(record: object): Buffer {
  return Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
}

/** Encrypts records as they come; yields the header piece, then frames. */
export async function* encryptRecords(
  records: AsyncIterable<object> | Iterable<object>,
  recipientPublicJwk: JWK,
  binding: ResultBinding,
  options: { frameBytes?: number } = {},
): AsyncGenerator<Buffer> {
  const enc = await ResultEncryptor.create(recipientPublicJwk, binding, options);
  yield Buffer.from(enc.header);
  for await (const record of records) yield* enc.push(encodeRecord(record));
  yield enc.finish();
}

/** The whole result in one buffer: for small results and tests. */
export async function encryptResult(records: readonly object[], recipientPublicJwk: JWK, binding: ResultBinding): Promise<Uint8Array> {
  const pieces: Buffer[] = [];
  for await (const piece of encryptRecords(records, recipientPublicJwk, binding)) pieces.push(piece);
  return Buffer.concat(pieces);
}

/**
 * Reads one result as its bytes arrive, in chunks of any size: `push` returns the plaintext of
 * every frame that authenticated; `end` fails unless the final frame was seen. Memory is bounded
 * by one frame whatever the result's size.
 */
export class ResultDecryptor {
  private buffer: Buffer = Buffer.alloc(0);
  private key: Buffer | null = null;
  private aad: Buffer | null = null;
  private counter = 0;
  private finished = false;
  private headerPromise: Promise<void> | null = null;

  constructor(
    private readonly privateJwk: JWK,
    private readonly binding: ResultBinding,
  ) {}

  /** Frames seen so far. */
  get frames(): number {
    return this.counter;
  }

  async push(chunk: Uint8Array): Promise<Buffer[]> {
    if (chunk.length === 0) return [];
    if (this.finished) throw new ResultEnvelopeError('extended', `data after the final frame (frame ${this.counter - 1})`);
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const out: Buffer[] = [];
    if (!this.key) {
      if (this.buffer.length < 4) return out;
      const n = this.buffer.readUInt32BE(0);
      if (n === 0 || n > MAX_HEADER_BYTES) throw new ResultEnvelopeError('header', `header length ${n} is not 1…${MAX_HEADER_BYTES}: not a ${RESULT_FORMAT} result`);
      if (this.buffer.length < 4 + n) return out;
      await this.openHeader(this.buffer.subarray(4, 4 + n));
      this.buffer = this.buffer.subarray(4 + n);
    }
    while (this.buffer.length >= 4) {
      if (this.finished) throw new ResultEnvelopeError('extended', `data after the final frame (frame ${this.counter - 1})`);
      const m = this.buffer.readUInt32BE(0);
      if (m < TAG_BYTES || m > FRAME_PLAINTEXT_BYTES + TAG_BYTES) {
        throw new ResultEnvelopeError('frame-size', `frame ${this.counter} claims ${m} bytes, outside ${TAG_BYTES}…${FRAME_PLAINTEXT_BYTES + TAG_BYTES}`);
      }
      if (this.buffer.length < 4 + m) break;
      out.push(this.open(this.buffer.subarray(4, 4 + m)));
      this.buffer = this.buffer.subarray(4 + m);
    }
    if (this.finished && this.buffer.length > 0) throw new ResultEnvelopeError('extended', `data after the final frame (frame ${this.counter - 1})`);
    if (this.buffer.length === 0) this.buffer = Buffer.alloc(0);
    else this.buffer = Buffer.from(this.buffer); // let go of the large chunk it was cut from
    return out;
  }

  end(): void {
    if (!this.key) throw new ResultEnvelopeError('truncated', 'the result ends inside its header');
    if (this.buffer.length > 0) throw new ResultEnvelopeError('truncated', `the result ends inside frame ${this.counter}`);
    if (!this.finished) throw new ResultEnvelopeError('truncated', `the result ends after frame ${this.counter - 1}, which is not the final frame`);
  }

  private async openHeader(jweBytes: Buffer): Promise<void> {
    const jwe = jweBytes.toString('ascii');
    let plaintext: Uint8Array;
    try {
      const key = await importJWK({ ...this.privateJwk, alg: RESULT_ALG }, RESULT_ALG);
      ({ plaintext } = await compactDecrypt(jwe, key, {
        keyManagementAlgorithms: [RESULT_ALG],
        contentEncryptionAlgorithms: [RESULT_ENC],
      }));
    } catch (error) {
      throw new ResultEnvelopeError('header-decryption', `the header does not decrypt with this key (${(error as Error).message}): is it the requesting unit's key?`);
    }
    if (plaintext.length !== 32) throw new ResultEnvelopeError('header', 'the header does not hold a 32-byte frame key');
    this.key = Buffer.from(plaintext);
    this.aad = frameAad(jweBytes, this.binding);
  }

  private open(body: Buffer): Buffer {
    const ciphertext = body.subarray(0, body.length - TAG_BYTES);
    const tag = body.subarray(body.length - TAG_BYTES);
    for (const final of [false, true]) {
      const decipher = createDecipheriv('aes-256-gcm', this.key!, frameNonce(this.counter, final));
      decipher.setAAD(this.aad!);
      decipher.setAuthTag(tag);
      const plaintext = decipher.update(ciphertext);
      try {
        decipher.final();
      } catch {
        continue;
      }
      this.counter += 1;
      if (final) this.finished = true;
      return plaintext;
    }
    throw new ResultEnvelopeError(
      'frame-authentication',
      `frame ${this.counter} does not authenticate: it was altered, dropped, reordered or moved from another result, or the result belongs to another warrant or department`,
    );
  }
}

/** Splits NDJSON plaintext, arriving in pieces, into records. */
export class NdjsonReader {
  private rest = '';
  private decoder = new TextDecoder('utf-8', { fatal: true });
  private line = 0;

  push(plaintext: Uint8Array): Record<string, unknown>[] {
    let text: string;
    try {
      text = this.rest + this.decoder.decode(plaintext, { stream: true });
    } catch {
      throw new ResultEnvelopeError('ndjson', 'the plaintext is not UTF-8');
    }
    const lines = text.split('\n');
    this.rest = lines.pop()!;
    return lines.map((l) => this.parse(l));
  }

  end(): void {
    let tail: string;
    try {
      tail = this.decoder.decode();
    } catch {
      throw new ResultEnvelopeError('ndjson', 'the plaintext ends inside a UTF-8 character');
    }
    if (this.rest + tail !== '') throw new ResultEnvelopeError('ndjson', 'the plaintext does not end with a newline');
  }

  private parse(line: string): Record<string, unknown> {
    this.line += 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw new ResultEnvelopeError('ndjson', `line ${this.line} is not a JSON object`);
    }
    return value as Record<string, unknown>;
  }
}

/** Decrypts a result arriving as chunks, yielding records as frames authenticate. */
export async function* decryptRecords(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  privateJwk: JWK,
  binding: ResultBinding,
): AsyncGenerator<Record<string, unknown>> {
  const dec = new ResultDecryptor(privateJwk, binding);
  const reader = new NdjsonReader();
  for await (const chunk of chunks) {
    for (const plaintext of await dec.push(chunk)) yield* reader.push(plaintext);
  }
  dec.end();
  reader.end();
}

/** The whole result at once: for small results and tests. */
export async function decryptResult(bytes: Uint8Array, privateJwk: JWK, binding: ResultBinding): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const record of decryptRecords([bytes], privateJwk, binding)) out.push(record);
  return out;
}

/** Offsets of the pieces of a stored result, for tests and tools: header block, then each frame. */
export function splitPieces(bytes: Uint8Array): Buffer[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pieces: Buffer[] = [];
  let at = 0;
  while (at + 4 <= buf.length) {
    const n = buf.readUInt32BE(at);
    pieces.push(buf.subarray(at, Math.min(buf.length, at + 4 + n)));
    at += 4 + n;
  }
  if (at < buf.length) pieces.push(buf.subarray(at));
  return pieces;
}
