import { deflateSync, inflateSync } from 'fflate';
import { CompactEncrypt, compactDecrypt, importJWK, type CryptoKey, type JWK } from 'jose';
import { isCryptoKey } from './eddsa';
import { bufferSource, concatBytes, decodeUtf8, encodeHex, encodeU16, encodeU32, encodeUtf8, readU32, writeU64 } from './bytes';
import { sha256 } from './hash';

/**
 * The result envelope, formats `qiao-stream-v2` (written) and `qiao-stream-v1` (still read): the
 * records a department returns, encrypted to the requesting unit's public key so that only that
 * unit can read them — the gateway that carries them cannot. One format for every size, written
 * and read as a stream with bounded memory.
 *
 *   result  = headerBlock frame+              (at least one frame; the last one is final)
 *   headerBlock = u32be(n) JWE[n]             compact JWE (ECDH-ES+A256KW, A256GCM) of the 32-byte content key
 *   frame   = u32be(m) AES-256-GCM(ciphertext ‖ 16-byte tag)[m]
 *             v1: the frame's plaintext is ≤ 64 KiB of NDJSON;
 *             v2: it is ≤ 64 KiB of NDJSON compressed alone as raw DEFLATE (RFC 1951), which a
 *                 reader inflates, once the frame has authenticated, to at most 64 KiB
 *   nonce_i = 0x000000 ‖ u64be(i) ‖ final(0x00|0x01)              i = 0, 1, 2 …
 *   aad     = SHA-256(JWE) ‖ u16be(len jti) ‖ jti ‖ u16be(len department) ‖ department   (UTF-8)
 *
 * The counter and final flag make a dropped, reordered, truncated or extended frame fail; the
 * header digest, warrant id and department in the AAD make a frame moved from another result fail.
 * Records (NDJSON lines) may span frames. Specified in docs/formats.md with vectors/result-v2.json
 * (v1) and vectors/result-stream-v2.json (v2).
 *
 * The cryptography is WebCrypto's (AES-GCM, the frame key imported once per result as a
 * non-extractable CryptoKey) and jose's (the header JWE), so the module runs in Node and in a
 * browser; as WebCrypto is asynchronous, so are `push` and `finish` on both sides.
 */

/** The format writers write. */
export const RESULT_FORMAT = 'qiao-stream-v2';
/** The first format, frames of plain NDJSON: still read, so results stored before v2 stay readable. */
export const RESULT_FORMAT_V1 = 'qiao-stream-v1';
/** The formats readers read. */
export const RESULT_FORMATS = [RESULT_FORMAT_V1, RESULT_FORMAT] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];
export function isResultFormat(format: string | null | undefined): format is ResultFormat {
  return (RESULT_FORMATS as readonly (string | null | undefined)[]).includes(format);
}
export const RESULT_ALG = 'ECDH-ES+A256KW';
export const RESULT_ENC = 'A256GCM';
/** `cty` of the header JWE: its plaintext is the raw 32-byte frame key. */
export const RESULT_KEY_CONTENT_TYPE = 'application/qiao-frame-key';
export const FRAME_PLAINTEXT_BYTES = 64 * 1024;
export const MAX_HEADER_BYTES = 16 * 1024;
/**
 * v2: the most a frame's compressed plaintext may hold. Raw DEFLATE of 64 KiB that does not
 * compress is at most 64 KiB plus a few bytes of block headers (stored blocks, RFC 1951 §3.2.4);
 * this leaves room for any compressor's framing while keeping a frame's size bounded.
 */
export const MAX_COMPRESSED_FRAME_BYTES = FRAME_PLAINTEXT_BYTES + 1024;
const TAG_BYTES = 16;

/**
 * Raw DEFLATE of one frame (v2). `deflate` must be done with its input when it returns, even when
 * it answers with a promise (the buffer is reused). `inflate` returns the frame's NDJSON, or null
 * when the body is not valid raw DEFLATE or would inflate to more than `maxBytes` — it must stop
 * there rather than produce the rest (a small frame can claim gigabytes: a decompression bomb).
 */
export interface FrameCodec {
  deflate(plaintext: Uint8Array): Promise<Uint8Array> | Uint8Array;
  inflate(body: Uint8Array, maxBytes: number): Promise<Uint8Array | null> | Uint8Array | null;
}

/**
 * The codec in pure JavaScript (fflate), the contract's default, which runs in a browser too.
 * fflate writes into the buffer it is given and never past it: an output one byte larger than the
 * limit shows a frame that would inflate to more (its work is bounded by the input's size).
 * Node processes pass node:zlib's instead (proto/node/primitives.ts): the same bytes on the wire
 * are read by both, as any raw DEFLATE stream is.
 */
export const fflateCodec: FrameCodec = {
  deflate: (plaintext) => deflateSync(plaintext, { level: 1 }),
  inflate(body, maxBytes) {
    try {
      const out = inflateSync(body, { out: new Uint8Array(maxBytes + 1) });
      return out.length > maxBytes ? null : out;
    } catch {
      return null;
    }
  },
};

/** What a result is bound to: the warrant it answers and the department that answered. */
export interface ResultBinding {
  warrantId: string;
  department: string;
}

/** A named failed check, e.g. `frame-authentication`, so the reader knows what went wrong. */
export type ResultCheck =
  | 'format'
  | 'header'
  | 'header-decryption'
  | 'frame-authentication'
  | 'frame-size'
  | 'decompression'
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

/**
 * Frames being sealed or opened at once. WebCrypto's AES-GCM runs off the JavaScript thread (on
 * libuv's pool in Node), one call per frame, and each call costs more than node:crypto's did
 * (copies in and out, a thread hop): awaited one by one, frames go well below node:crypto's
 * speed. With a few in flight, handed out in order, the cipher works while the caller does, and
 * a second core, where one is free, takes the cipher's share (README, "Performance"). Memory
 * stays bounded: at most this many frames (plaintext and ciphertext) are held.
 */
export const FRAMES_IN_FLIGHT = 4;

function lengthPrefixed(text: string): Uint8Array {
  const bytes = encodeUtf8(text);
  if (bytes.length > 0xffff) throw new Error(`binding value of ${bytes.length} bytes is too long: at most 65 535 bytes of UTF-8`);
  return concatBytes([encodeU16(bytes.length), bytes]);
}

/** The associated data of every frame of one result. */
export function frameAad(headerJwe: Uint8Array, binding: ResultBinding): Uint8Array {
  return concatBytes([sha256(headerJwe), lengthPrefixed(binding.warrantId), lengthPrefixed(binding.department)]);
}

export function frameNonce(counter: number, final: boolean): Uint8Array {
  const nonce = new Uint8Array(12);
  writeU64(nonce, 3, counter);
  nonce[11] = final ? 1 : 0;
  return nonce;
}

/**
 * AES-256-GCM of one frame under one result's frame key: `seal` returns ciphertext ‖ 16-byte tag,
 * `open` the plaintext, or null when the frame does not authenticate. Both must be done with
 * their input when they return (the buffers are reused), even when they answer with a promise.
 */
export interface FrameCipher {
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> | Uint8Array;
  open(nonce: Uint8Array, aad: Uint8Array, body: Uint8Array): Promise<Uint8Array | null> | Uint8Array | null;
}

/** Makes the cipher of one result from its 32-byte frame key. */
export type CreateFrameCipher = (frameKey: Uint8Array) => Promise<FrameCipher>;

/**
 * The frame cipher on WebCrypto, the contract's default: the key is imported once, non-extractable.
 * In Node a process may pass node:crypto's instead (proto/node/primitives.ts): the same bytes,
 * without WebCrypto's per-call copies and thread hop (README, "Performance").
 */
export const webCryptoFrameCipher: CreateFrameCipher = async (frameKey) => {
  const key = await crypto.subtle.importKey('raw', bufferSource(frameKey), 'AES-GCM', false, ['encrypt', 'decrypt']);
  return {
    seal: async (iv, additionalData, plaintext) => new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: bufferSource(iv), additionalData: bufferSource(additionalData) }, key, bufferSource(plaintext))),
    open: (iv, additionalData, body) =>
      crypto.subtle.decrypt({ name: 'AES-GCM', iv: bufferSource(iv), additionalData: bufferSource(additionalData) }, key, bufferSource(body)).then(
        (plaintext) => new Uint8Array(plaintext),
        () => null,
      ),
  };
};

/**
 * The header's JWE (ECDH-ES+A256KW, A256GCM) of one result's 32-byte frame key: `seal` makes the
 * compact JWE to the recipient's public JWK under `header` (alg, enc, cty and kid; it adds `epk`),
 * `open` returns the frame key it holds with the private JWK, or throws. The contract's default is
 * jose on WebCrypto (runs in a browser, and takes a non-extractable CryptoKey); a Node process may
 * pass node:crypto's (proto/node/primitives.ts): the same format, a fifth of the CPU.
 */
export interface HeaderKeyAgreement {
  seal(frameKey: Uint8Array, recipientPublicJwk: JWK, header: { alg: string; enc: string; cty: string; kid?: string }): Promise<string> | string;
  open(jwe: string, privateJwk: JWK): Promise<Uint8Array> | Uint8Array;
}

/** How the envelope encrypts: which format, frame cipher and codec, and how many frames may be in flight. */
export interface EnvelopeOptions {
  /**
   * The format written, or the one to read — for a stored result, the format its listing and
   * signed receipt name (never guessed from the bytes). Default RESULT_FORMAT (v2).
   */
  format?: ResultFormat;
  createFrameCipher?: CreateFrameCipher;
  /** v2's raw DEFLATE (default fflateCodec). */
  codec?: FrameCodec;
  framesInFlight?: number;
  /** The header's key agreement for JWK keys (default jose's); a CryptoKey always takes jose's. */
  headerKey?: HeaderKeyAgreement;
}

function checkFormat(format: string): ResultFormat {
  if (!isResultFormat(format)) throw new ResultEnvelopeError('format', `result format ${format} is not one of ${RESULT_FORMATS.join(', ')}`);
  return format;
}

function checkFramesInFlight(n: number): number {
  // 0: each frame is awaited before the next one starts.
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new Error(`framesInFlight must be 0…64, not ${n}`);
  return n;
}

/**
 * Writes one result. `header` is the first piece; each `push` returns the frames that are done
 * (a full frame is sealed only once more data arrives, and up to `framesInFlight` frames may still
 * be sealing); `finish` returns the rest, the final frame last. Pieces concatenated in order are
 * the result. One call at a time: await each `push` before the next, and keep the plaintext
 * passed to it unchanged until it settles.
 */
export class ResultEncryptor {
  private readonly pending: Uint8Array;
  private pendingBytes = 0;
  private counter = 0;
  private done = false;
  private busy = false;
  private readonly sealing: Promise<Uint8Array>[] = [];

  private constructor(
    readonly header: Uint8Array,
    private readonly cipher: FrameCipher,
    private readonly aad: Uint8Array,
    private readonly frameBytes: number,
    private readonly framesInFlight: number,
    /** v2: the codec that compresses each frame; v1: none. */
    private readonly codec: FrameCodec | null,
  ) {
    this.pending = new Uint8Array(frameBytes);
  }

  static async create(
    recipientPublicJwk: JWK,
    binding: ResultBinding,
    options: EnvelopeOptions & { frameBytes?: number } = {},
  ): Promise<ResultEncryptor> {
    if ('d' in recipientPublicJwk) throw new Error('a result is encrypted to the public key, not the private one');
    const frameBytes = options.frameBytes ?? FRAME_PLAINTEXT_BYTES;
    if (frameBytes < 1 || frameBytes > FRAME_PLAINTEXT_BYTES) throw new Error(`frameBytes must be 1…${FRAME_PLAINTEXT_BYTES}`);
    const framesInFlight = checkFramesInFlight(options.framesInFlight ?? FRAMES_IN_FLIGHT);
    const format = checkFormat(options.format ?? RESULT_FORMAT);
    const rawKey = crypto.getRandomValues(new Uint8Array(32));
    const header = { alg: RESULT_ALG, enc: RESULT_ENC, cty: RESULT_KEY_CONTENT_TYPE, ...(recipientPublicJwk.kid ? { kid: recipientPublicJwk.kid } : {}) };
    const jwe = options.headerKey
      ? await options.headerKey.seal(rawKey, recipientPublicJwk, header)
      : await new CompactEncrypt(rawKey).setProtectedHeader(header).encrypt(await importResultKey(recipientPublicJwk));
    const cipher = await (options.createFrameCipher ?? webCryptoFrameCipher)(rawKey);
    rawKey.fill(0); // our copy goes: from here on the cipher holds the frame key
    const jweBytes = encodeUtf8(jwe);
    const codec = format === RESULT_FORMAT_V1 ? null : (options.codec ?? fflateCodec);
    return new ResultEncryptor(concatBytes([encodeU32(jweBytes.length), jweBytes]), cipher, frameAad(jweBytes, binding), frameBytes, framesInFlight, codec);
  }

  private sealBody(nonce: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> | Uint8Array {
    if (plaintext.length > MAX_COMPRESSED_FRAME_BYTES) throw new Error(`the frame codec made ${plaintext.length} bytes of one frame: more than ${MAX_COMPRESSED_FRAME_BYTES}`);
    return this.cipher.seal(nonce, this.aad, plaintext);
  }

  /** Plaintext in; the frames that are done out (often none). */
  async push(plaintext: Uint8Array): Promise<Uint8Array[]> {
    this.enter();
    try {
      const out: Uint8Array[] = [];
      for (let at = 0; at < plaintext.length; ) {
        // A full frame is sealed only once more data arrives: the last frame must carry the final flag.
        if (this.pendingBytes === this.frameBytes) {
          this.seal(false);
          while (this.sealing.length > this.framesInFlight) out.push(await this.sealing.shift()!);
        }
        const take = Math.min(this.frameBytes - this.pendingBytes, plaintext.length - at);
        this.pending.set(plaintext.subarray(at, at + take), this.pendingBytes);
        this.pendingBytes += take;
        at += take;
      }
      return out;
    } finally {
      this.busy = false;
    }
  }

  /** The frames still sealing and the final frame (possibly empty), in order. */
  async finish(): Promise<Uint8Array[]> {
    this.enter();
    this.done = true;
    this.seal(true);
    const out: Uint8Array[] = [];
    while (this.sealing.length > 0) out.push(await this.sealing.shift()!);
    return out;
  }

  private enter(): void {
    if (this.done) throw new Error('result already finished');
    if (this.busy) throw new Error('ResultEncryptor: push or finish called before the previous call settled; await each call');
    this.busy = true;
  }

  private seal(final: boolean): void {
    // A cipher and a codec are done with their input when they return (WebCrypto copies it), so
    // `pending` is free again at once.
    const nonce = frameNonce(this.counter++, final);
    const plaintext = this.pending.subarray(0, this.pendingBytes);
    const compressed = this.codec ? this.codec.deflate(plaintext) : plaintext;
    const sealed = (compressed instanceof Uint8Array ? Promise.resolve(this.sealBody(nonce, compressed)) : compressed.then((c) => this.sealBody(nonce, c))).then((body) =>
      concatBytes([encodeU32(body.byteLength), body]),
    );
    sealed.catch(() => {}); // awaited in order later; this only keeps an abandoned result from an unhandled rejection
    this.sealing.push(sealed);
    this.pendingBytes = 0;
  }
}

/** NDJSON line of one record: JSON.stringify, then "\n". */
export function encodeRecord(record: object): Uint8Array {
  return encodeUtf8(`${JSON.stringify(record)}\n`);
}

/** Encrypts records as they come; yields the header piece, then frames. */
export async function* encryptRecords(
  records: AsyncIterable<object> | Iterable<object>,
  recipientPublicJwk: JWK,
  binding: ResultBinding,
  options: EnvelopeOptions & { frameBytes?: number } = {},
): AsyncGenerator<Uint8Array> {
  const enc = await ResultEncryptor.create(recipientPublicJwk, binding, options);
  yield enc.header;
  for await (const record of records) yield* await enc.push(encodeRecord(record));
  yield* await enc.finish();
}

/** The whole result in one buffer: for small results and tests. */
export async function encryptResult(records: readonly object[], recipientPublicJwk: JWK, binding: ResultBinding, options: EnvelopeOptions = {}): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  for await (const piece of encryptRecords(records, recipientPublicJwk, binding, options)) pieces.push(piece);
  return concatBytes(pieces);
}

interface Opening {
  counter: number;
  body: Uint8Array;
  /** The plaintext if the frame opens as a non-final one, else null. */
  attempt: Promise<Uint8Array | null>;
}

const EMPTY = new Uint8Array(0);

/**
 * Reads one result as its bytes arrive, in chunks of any size: `push` returns the plaintext of
 * the frames that authenticated, in order, while up to `framesInFlight` frames may still be
 * opening; `finish` returns those and fails unless the final frame was seen. Memory is bounded by
 * a few frames (and the chunk being read) whatever the result's size. One call at a time.
 */
export class ResultDecryptor {
  private buffer: Uint8Array = EMPTY;
  private cipher: FrameCipher | null = null;
  private aad: Uint8Array | null = null;
  /** Frames whose opening has started. */
  private started = 0;
  /** Frames authenticated and handed out. */
  private opened = 0;
  private finished = false;
  private busy = false;
  /** A decryptor that failed stays failed: what comes after a bad frame proves nothing. */
  private failure: unknown = null;
  private readonly opening: Opening[] = [];
  private readonly framesInFlight: number;
  private readonly createFrameCipher: CreateFrameCipher;
  /** v2: the codec that inflates each authenticated frame; v1: none. */
  private readonly codec: FrameCodec | null;
  private readonly maxBody: number;
  readonly format: ResultFormat;

  /**
   * `privateKey`: the unit's private JWK, or a WebCrypto ECDH key (the console keeps the unit key
   * as a non-extractable CryptoKey in IndexedDB, so no JWK of it exists in the page).
   */
  constructor(
    private readonly privateKey: JWK | CryptoKey,
    private readonly binding: ResultBinding,
    options: EnvelopeOptions = {},
  ) {
    this.framesInFlight = checkFramesInFlight(options.framesInFlight ?? FRAMES_IN_FLIGHT);
    this.createFrameCipher = options.createFrameCipher ?? webCryptoFrameCipher;
    this.format = checkFormat(options.format ?? RESULT_FORMAT);
    this.codec = this.format === RESULT_FORMAT_V1 ? null : (options.codec ?? fflateCodec);
    this.maxBody = (this.codec ? MAX_COMPRESSED_FRAME_BYTES : FRAME_PLAINTEXT_BYTES) + TAG_BYTES;
    this.headerKey = options.headerKey;
  }
  private readonly headerKey: HeaderKeyAgreement | undefined;

  /** Frames authenticated so far. */
  get frames(): number {
    return this.opened;
  }

  push(chunk: Uint8Array): Promise<Uint8Array[]> {
    return this.guarded(() => this.read(chunk));
  }

  /** The plaintext of the frames still opening; fails unless the result ended with its final frame. */
  finish(): Promise<Uint8Array[]> {
    return this.guarded(() => this.close());
  }

  private async guarded(run: () => Promise<Uint8Array[]>): Promise<Uint8Array[]> {
    if (this.failure) throw this.failure;
    if (this.busy) throw new Error('ResultDecryptor: push or finish called before the previous call settled; await each call');
    this.busy = true;
    try {
      return await run();
    } catch (error) {
      this.failure = error;
      throw error;
    } finally {
      this.busy = false;
    }
  }

  private async read(chunk: Uint8Array): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    if (chunk.length === 0) return out;
    if (this.finished) throw this.extended();
    // The caller's chunk is read in place; what is still held when push returns (a partial frame,
    // the bodies of frames still opening) is copied then, so it never shares the caller's memory.
    const borrowed = this.buffer.length === 0;
    this.buffer = borrowed ? chunk : concatBytes([this.buffer, chunk]);
    if (!this.cipher) {
      if (this.buffer.length < 4) return out;
      const n = readU32(this.buffer);
      if (n === 0 || n > MAX_HEADER_BYTES) throw new ResultEnvelopeError('header', `header length ${n} is not 1…${MAX_HEADER_BYTES}: not a ${RESULT_FORMAT} result`);
      if (this.buffer.length < 4 + n) return out;
      await this.openHeader(this.buffer.subarray(4, 4 + n));
      this.buffer = this.buffer.subarray(4 + n);
    }
    while (this.buffer.length >= 4) {
      const m = readU32(this.buffer);
      if (m < TAG_BYTES || m > this.maxBody) {
        // The frames before it come first: one of them may be where the result went wrong.
        while (this.opening.length > 0) out.push(await this.settle());
        throw new ResultEnvelopeError('frame-size', `frame ${this.started} claims ${m} bytes, outside ${TAG_BYTES}…${this.maxBody} for ${this.format}`);
      }
      if (this.buffer.length < 4 + m) break;
      this.start(this.buffer.subarray(4, 4 + m));
      this.buffer = this.buffer.subarray(4 + m);
      while (this.opening.length > this.framesInFlight) out.push(await this.settle());
    }
    if (this.finished && this.buffer.length > 0) throw this.extended();
    if (this.buffer.length === 0) this.buffer = EMPTY;
    else if (borrowed) this.buffer = this.buffer.slice();
    if (borrowed) for (const o of this.opening) if (o.body.buffer === chunk.buffer) o.body = o.body.slice();
    return out;
  }

  private async close(): Promise<Uint8Array[]> {
    if (!this.cipher) throw new ResultEnvelopeError('truncated', 'the result ends inside its header');
    const out: Uint8Array[] = [];
    while (this.opening.length > 0) out.push(await this.settle());
    if (this.buffer.length > 0) throw new ResultEnvelopeError('truncated', `the result ends inside frame ${this.started}`);
    if (!this.finished) throw new ResultEnvelopeError('truncated', `the result ends after frame ${this.started - 1}, which is not the final frame`);
    return out;
  }

  private extended(): ResultEnvelopeError {
    return new ResultEnvelopeError('extended', `data after the final frame (frame ${this.opened - 1})`);
  }

  private async openHeader(jweBytes: Uint8Array): Promise<void> {
    const jwe = decodeUtf8(jweBytes);
    let plaintext: Uint8Array;
    try {
      if (this.headerKey && !isCryptoKey(this.privateKey)) plaintext = await this.headerKey.open(jwe, this.privateKey);
      else {
        const key = isCryptoKey(this.privateKey) ? this.privateKey : await importResultKey(this.privateKey);
        ({ plaintext } = await compactDecrypt(jwe, key, {
          keyManagementAlgorithms: [RESULT_ALG],
          contentEncryptionAlgorithms: [RESULT_ENC],
        }));
      }
    } catch (error) {
      throw new ResultEnvelopeError('header-decryption', `the header does not decrypt with this key (${(error as Error).message}): is it the requesting unit's key?`);
    }
    if (plaintext.length !== 32) throw new ResultEnvelopeError('header', 'the header does not hold a 32-byte frame key');
    this.cipher = await this.createFrameCipher(plaintext);
    plaintext.fill(0);
    this.aad = frameAad(jweBytes, this.binding);
  }

  /** Starts opening the next frame as a non-final one: every frame of a result but its last is. */
  private start(body: Uint8Array): void {
    const counter = this.started++;
    const attempt = this.decrypt(body, counter, false);
    this.opening.push({ counter, body, attempt });
  }

  private decrypt(body: Uint8Array, counter: number, final: boolean): Promise<Uint8Array | null> {
    return Promise.resolve(this.cipher!.open(frameNonce(counter, final), this.aad!, body));
  }

  /** The oldest frame's plaintext, once it authenticated as the next frame of this result (and, in v2, inflated). */
  private async settle(): Promise<Uint8Array> {
    const opened = await this.authenticated();
    if (!this.codec) return opened;
    // Only what authenticated is inflated: bytes the gateway or anyone but the writer made never reach the inflater.
    const plaintext = await this.codec.inflate(opened, FRAME_PLAINTEXT_BYTES);
    if (!plaintext) {
      throw new ResultEnvelopeError(
        'decompression',
        `frame ${this.opened - 1} authenticates but is not raw DEFLATE of at most ${FRAME_PLAINTEXT_BYTES} bytes: the writer made a bad ${this.format} result (or a ${RESULT_FORMAT_V1} one labelled ${this.format})`,
      );
    }
    return plaintext;
  }

  private async authenticated(): Promise<Uint8Array> {
    const { counter, body, attempt } = this.opening.shift()!;
    let plaintext = await attempt;
    if (!plaintext) {
      // Only the final frame fails as non-final in an intact result, so this second full pass
      // runs once per result — or when the result was tampered with, and then it fails too.
      plaintext = await this.decrypt(body, counter, true);
      if (!plaintext) {
        throw new ResultEnvelopeError(
          'frame-authentication',
          `frame ${counter} does not authenticate: it was altered, dropped, reordered or moved from another result, or the result belongs to another warrant or department`,
        );
      }
      this.finished = true;
      this.opened = counter + 1;
      if (this.opening.length > 0 || this.buffer.length > 0) throw this.extended();
      return plaintext;
    }
    this.opened = counter + 1;
    return plaintext;
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

const LF = 0x0a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

function decodesAsUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Splits NDJSON plaintext, arriving in pieces, into runs of whole lines handed out as the bytes
 * they are: for a reader that passes records on (NDJSON out) rather than parsing each one and
 * serialising it again. It checks that the text is UTF-8 and that every line is framed as an
 * object (`{` … `}`), and counts the lines; it does not parse them — the department's
 * authenticated text goes on unchanged. `isUtf8` may be a faster check than the default
 * (TextDecoder); Node has `buffer.isUtf8`. Runs of lines are whole lines, so never split a
 * UTF-8 character: each is checked on its own.
 */
export class NdjsonLines {
  private rest: Uint8Array = EMPTY;
  private lines = 0;

  constructor(private readonly isUtf8: (bytes: Uint8Array) => boolean = decodesAsUtf8) {}

  /** Lines handed out so far. */
  get records(): number {
    return this.lines;
  }

  /** The whole lines completed by this piece (none, or one run of them), each ending with "\n". */
  push(plaintext: Uint8Array): Uint8Array[] {
    const last = plaintext.lastIndexOf(LF);
    if (last === -1) {
      if (plaintext.length > 0) this.rest = concatBytes([this.rest, plaintext]);
      return [];
    }
    const run = this.rest.length > 0 ? concatBytes([this.rest, plaintext.subarray(0, last + 1)]) : plaintext.subarray(0, last + 1);
    this.rest = last + 1 < plaintext.length ? plaintext.slice(last + 1) : EMPTY;
    for (let start = 0; start < run.length; ) {
      const end = run.indexOf(LF, start);
      this.lines += 1;
      if (end - start < 2 || run[start] !== OPEN_BRACE || run[end - 1] !== CLOSE_BRACE) {
        throw new ResultEnvelopeError('ndjson', `line ${this.lines} is not a JSON object`);
      }
      start = end + 1;
    }
    if (!this.isUtf8(run)) throw new ResultEnvelopeError('ndjson', `the plaintext is not UTF-8 (lines up to ${this.lines})`);
    return [run];
  }

  end(): void {
    if (this.rest.length > 0) throw new ResultEnvelopeError('ndjson', 'the plaintext does not end with a newline');
  }
}

/** Decrypts a result arriving as chunks, yielding its plaintext frame by frame as frames authenticate. */
export async function* decryptFrames(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  privateJwk: JWK | CryptoKey,
  binding: ResultBinding,
  options: EnvelopeOptions = {},
): AsyncGenerator<Uint8Array> {
  const dec = new ResultDecryptor(privateJwk, binding, options);
  for await (const chunk of chunks) yield* await dec.push(chunk);
  yield* await dec.finish();
}

/** Decrypts a result arriving as chunks, yielding records as frames authenticate. */
export async function* decryptRecords(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  privateJwk: JWK | CryptoKey,
  binding: ResultBinding,
  options: EnvelopeOptions = {},
): AsyncGenerator<Record<string, unknown>> {
  const reader = new NdjsonReader();
  for await (const plaintext of decryptFrames(chunks, privateJwk, binding, options)) yield* reader.push(plaintext);
  reader.end();
}

/** The whole result at once: for small results and tests. */
export async function decryptResult(bytes: Uint8Array, privateJwk: JWK | CryptoKey, binding: ResultBinding, options: EnvelopeOptions = {}): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const record of decryptRecords([bytes], privateJwk, binding, options)) out.push(record);
  return out;
}

/**
 * The decryptor as a WHATWG stream, for a browser that reads a download with `fetch`:
 * `response.body.pipeThrough(createDecryptionStream(key, binding))` gives the NDJSON plaintext.
 */
/** A WebCrypto key rather than a JWK (a JWK is a plain object with `kty`; a CryptoKey has `type` and `algorithm`). */
/**
 * Imported result keys (ECDH-ES), found again by the key's members: an adapter encrypts every
 * answer to one of a few units' keys and a client opens every result of a run with its one unit
 * key, and a WebCrypto import costs about as much as the key agreement it serves. Bounded, least
 * recently used dropped first. A private key is found by its public members and the SHA-256 of its
 * `d`, so the map's keys hold no private key material; only the members that make the key are
 * imported.
 */
type ImportedKey = Awaited<ReturnType<typeof importJWK>>;
const importedResultKeys = new Map<string, Promise<ImportedKey>>();
const MAX_IMPORTED_RESULT_KEYS = 256;

export function importResultKey(jwk: JWK): Promise<ImportedKey> {
  const members: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...(jwk.y ? { y: jwk.y } : {}), ...(jwk.d ? { d: jwk.d } : {}) };
  const id = [jwk.kty, jwk.crv, jwk.x, jwk.y ?? '', jwk.d ? encodeHex(sha256(jwk.d)) : ''].join('\0');
  let key = importedResultKeys.get(id);
  if (key) {
    importedResultKeys.delete(id); // most recently used last
  } else {
    if (importedResultKeys.size >= MAX_IMPORTED_RESULT_KEYS) importedResultKeys.delete(importedResultKeys.keys().next().value!);
    key = importJWK({ ...members, alg: RESULT_ALG }, RESULT_ALG);
    key.catch(() => importedResultKeys.delete(id));
  }
  importedResultKeys.set(id, key);
  return key;
}

/** How many result keys are imported and kept (tests). */
export function importedResultKeyCount(): number {
  return importedResultKeys.size;
}

export function createDecryptionStream(privateJwk: JWK | CryptoKey, binding: ResultBinding, options: EnvelopeOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  const dec = new ResultDecryptor(privateJwk, binding, options);
  return new TransformStream({
    async transform(chunk, controller) {
      for (const plaintext of await dec.push(chunk)) controller.enqueue(plaintext);
    },
    async flush(controller) {
      for (const plaintext of await dec.finish()) controller.enqueue(plaintext);
    },
  });
}

/** Offsets of the pieces of a stored result, for tests and tools: header block, then each frame. */
export function splitPieces(bytes: Uint8Array): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let at = 0;
  while (at + 4 <= bytes.length) {
    const n = readU32(bytes, at);
    pieces.push(bytes.subarray(at, Math.min(bytes.length, at + 4 + n)));
    at += 4 + n;
  }
  if (at < bytes.length) pieces.push(bytes.subarray(at));
  return pieces;
}
