/**
 * The contract's cryptography on WebCrypto and @noble/hashes against node:crypto, in one run:
 * AES-256-GCM per 64 KiB frame through the result envelope (ResultEncryptor / ResultDecryptor)
 * against the same frames sealed and opened with node:crypto one at a time (the envelope before
 * it moved to WebCrypto), and SHA-256 on 64 KiB chunks and on 65-byte Merkle nodes. Run by
 * `npm run bench` before the federation; alone: `npx tsx bench/crypto.ts [--mib 128]`.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { CompactEncrypt, compactDecrypt, importJWK } from 'jose';
import { concatBytes, encodeU32 } from '../proto/bytes';
import { createSha256, sha256 } from '../proto/hash';
import { NODE_ENVELOPE, nodeHeaderKey } from '../proto/node/primitives';
import { FRAME_PLAINTEXT_BYTES, frameAad, frameNonce, RESULT_ALG, RESULT_ENC, RESULT_FORMAT_V1, RESULT_KEY_CONTENT_TYPE, ResultDecryptor, ResultEncryptor, splitPieces, type EnvelopeOptions } from '../proto/result-envelope';
import { jwkPair, newP256PrivateKey } from '../proto/node/keys';

const FRAME = FRAME_PLAINTEXT_BYTES;
const TAG = 16;
const mib = (bytes: number) => bytes / 1048576;

interface Timing {
  /** Wall-clock seconds of the fastest run. */
  wall: number;
  /** CPU seconds (all threads of this process: WebCrypto works on libuv's pool) of the cheapest run. */
  cpu: number;
}

/**
 * Times each of `variants` `rounds` times, interleaved (a, b, c, a, b, c …), and keeps each one's
 * best: the machine is shared, and interleaving spreads a busy spell over all of them instead of
 * landing on one. CPU time is kept too: unlike wall time, it hardly moves when other processes
 * take the cores, though it does not show what work on several threads at once gains.
 */
async function bestInterleaved(rounds: number, variants: readonly (() => Promise<unknown> | unknown)[]): Promise<Timing[]> {
  const best = variants.map(() => ({ wall: Infinity, cpu: Infinity }));
  for (let r = 0; r < rounds; r++) {
    for (const [i, run] of variants.entries()) {
      const [t, cpu] = [performance.now(), process.cpuUsage()];
      await run();
      const used = process.cpuUsage(cpu);
      best[i]!.wall = Math.min(best[i]!.wall, (performance.now() - t) / 1000);
      best[i]!.cpu = Math.min(best[i]!.cpu, (used.user + used.system) / 1e6);
    }
  }
  return best;
}

/** The frames as the envelope wrote them with node:crypto: one cipher per frame, length-prefixed body ‖ tag. */
/** `keep`: return the frames; otherwise they are dropped as made, as a stream sends them on. */
function sealWithNode(key: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, keep = false): Buffer[] {
  const frames: Buffer[] = [];
  const count = Math.max(1, Math.ceil(plaintext.length / FRAME));
  for (let i = 0; i < count; i++) {
    const cipher = createCipheriv('aes-256-gcm', key, frameNonce(i, i === count - 1));
    cipher.setAAD(aad);
    const body = Buffer.concat([cipher.update(plaintext.subarray(i * FRAME, (i + 1) * FRAME)), cipher.final(), cipher.getAuthTag()]);
    const frame = Buffer.concat([encodeU32(body.length), body]);
    if (keep) frames.push(frame);
  }
  return frames;
}

/** The frames opened with node:crypto, non-final nonce first as the envelope did. */
function openWithNode(key: Uint8Array, aad: Uint8Array, frames: readonly Uint8Array[]): number {
  let bytes = 0;
  frames.forEach((frame, i) => {
    const body = frame.subarray(4);
    for (const final of [false, true]) {
      const d = createDecipheriv('aes-256-gcm', key, frameNonce(i, final));
      d.setAAD(aad);
      d.setAuthTag(body.subarray(body.length - TAG));
      const out = d.update(body.subarray(0, body.length - TAG));
      try {
        d.final();
      } catch {
        continue;
      }
      bytes += out.length;
      return;
    }
    throw new Error(`node:crypto could not open frame ${i} of the envelope's own output`);
  });
  return bytes;
}

export interface CryptoFigure {
  name: string;
  /** MiB/s, or µs per call for the Merkle node. */
  value: number;
  /** The same per CPU second (MiB per CPU second, CPU µs per call). */
  cpu: number;
  unit: 'MiB/s' | 'µs';
}

export async function runCryptoBench(options: { mib?: number; runs?: number } = {}): Promise<CryptoFigure[]> {
  const size = (options.mib ?? 128) * 1048576;
  const runs = options.runs ?? 5;
  const plaintext = randomBytes(size);
  const { publicJwk, privateJwk } = jwkPair(newP256PrivateKey());
  // A WebCrypto key for jose, as before: imported from the JWK, not generated (proto/node/keys.ts says why).
  const privateKey = await importJWK(privateJwk, RESULT_ALG);
  const binding = { warrantId: 'bench-warrant', department: 'bank' };

  // Kept only when asked: a stream sends its frames on and lets them go, so memory is reused.
  const encryptEnvelope = async (envelope: EnvelopeOptions, keep = false) => {
    // qiao-stream-v1: the cipher alone, without v2's deflate (bench/compress.ts measures that).
    const enc = await ResultEncryptor.create(publicJwk, binding, { ...envelope, format: RESULT_FORMAT_V1 });
    const pieces = [enc.header];
    const take = (frames: Uint8Array[]) => keep && pieces.push(...frames);
    // Frame-sized pushes: the figure is the cipher's per frame, not the cost of many small pushes
    // (each is an await; the adapter's batching is measured in the federation legs).
    for (let at = 0; at < size; at += FRAME) take(await enc.push(plaintext.subarray(at, at + FRAME)));
    take(await enc.finish());
    return pieces;
  };
  const decryptEnvelope = async (pieces: readonly Uint8Array[], envelope: EnvelopeOptions) => {
    const dec = new ResultDecryptor(privateJwk, binding, { ...envelope, format: RESULT_FORMAT_V1 });
    let bytes = 0;
    for (const piece of pieces) for (const p of await dec.push(piece)) bytes += p.length;
    for (const p of await dec.finish()) bytes += p.length;
    if (bytes !== size) throw new Error(`the decryptor returned ${bytes} of ${size} bytes`);
  };

  // The same frames both ways: what the envelope writes, node:crypto opens (same bytes on the wire).
  const sealed = await encryptEnvelope({ framesInFlight: 4 }, true);
  const key = randomBytes(32);
  const aad = frameAad(sealed[0]!.subarray(4), binding);
  const nodeFrames = sealWithNode(key, aad, plaintext, true);

  const { plaintext: contentKey } = await compactDecrypt(new TextDecoder().decode(sealed[0]!.subarray(4)), privateKey);
  if (openWithNode(contentKey, aad, splitPieces(concatBytes(sealed)).slice(1)) !== size) throw new Error('node:crypto read back a different length');

  const figures: CryptoFigure[] = [];
  const rate = (name: string, t: Timing, bytes = size) => figures.push({ name, value: mib(bytes) / t.wall, cpu: mib(bytes) / t.cpu, unit: 'MiB/s' });
  const [sealNode, sealNodeEnvelope, seal4, seal0] = await bestInterleaved(runs, [
    () => sealWithNode(key, aad, plaintext),
    () => encryptEnvelope(NODE_ENVELOPE),
    () => encryptEnvelope({ framesInFlight: 4 }),
    () => encryptEnvelope({ framesInFlight: 0 }),
  ]);
  rate('AES-GCM seal, node:crypto, one frame at a time (baseline)', sealNode!);
  rate('AES-GCM seal, envelope with node:crypto frames (adapters)', sealNodeEnvelope!);
  rate('AES-GCM seal, envelope on WebCrypto, 4 frames in flight (browser)', seal4!);
  rate('AES-GCM seal, envelope on WebCrypto, each frame awaited', seal0!);
  const [openNode, openNodeEnvelope, open4, open0] = await bestInterleaved(runs, [
    () => openWithNode(key, aad, nodeFrames),
    () => decryptEnvelope(sealed, NODE_ENVELOPE),
    () => decryptEnvelope(sealed, { framesInFlight: 4 }),
    () => decryptEnvelope(sealed, { framesInFlight: 0 }),
  ]);
  rate('AES-GCM open, node:crypto, one frame at a time (baseline)', openNode!);
  rate('AES-GCM open, envelope with node:crypto frames (command line)', openNodeEnvelope!);
  rate('AES-GCM open, envelope on WebCrypto, 4 frames in flight (console)', open4!);
  rate('AES-GCM open, envelope on WebCrypto, each frame awaited', open0!);

  const hashBytes = Math.min(size, 64 * 1048576);
  const chunks = Array.from({ length: hashBytes / FRAME }, (_, i) => plaintext.subarray(i * FRAME, (i + 1) * FRAME));
  const digestWith = (h: { update(b: Uint8Array): unknown; digest(): Uint8Array }) => {
    for (const c of chunks) h.update(c);
    return h.digest();
  };
  const [shaNode, shaNoble] = await bestInterleaved(runs, [() => digestWith(createHash('sha256')), () => digestWith(createSha256())]);
  rate('SHA-256 of 64 KiB chunks, node:crypto (baseline)', shaNode!, hashBytes);
  rate('SHA-256 of 64 KiB chunks, @noble/hashes', shaNoble!, hashBytes);

  const nodes = 200_000;
  const webNodes = 20_000;
  const [left, right] = [randomBytes(32), randomBytes(32)];
  const nodeOf = Uint8Array.of(1);
  const webBytes = concatBytes([nodeOf, left, right]);
  const [nodeNode, nodeNoble, nodeWeb] = await bestInterleaved(runs, [
    () => {
      for (let i = 0; i < nodes; i++) createHash('sha256').update(nodeOf).update(left).update(right).digest();
    },
    () => {
      for (let i = 0; i < nodes; i++) sha256(nodeOf, left, right);
    },
    async () => {
      for (let i = 0; i < webNodes; i++) await crypto.subtle.digest('SHA-256', webBytes);
    },
  ]);
  const perNode = (name: string, t: Timing, count: number) => figures.push({ name, value: (t.wall / count) * 1e6, cpu: (t.cpu / count) * 1e6, unit: 'µs' });
  perNode('Merkle node hash (65 bytes), node:crypto (baseline)', nodeNode!, nodes);
  perNode('Merkle node hash (65 bytes), @noble/hashes', nodeNoble!, nodes);
  perNode('Merkle node hash (65 bytes), crypto.subtle.digest', nodeWeb!, webNodes);

  // A result's header: the frame key's JWE to the unit key, made by the adapter, opened by the client.
  const headers = 300;
  const nodeHeader = nodeHeaderKey();
  const header = { alg: RESULT_ALG, enc: RESULT_ENC, cty: RESULT_KEY_CONTENT_TYPE, kid: 'bench' };
  const webPublic = await importJWK(publicJwk, RESULT_ALG);
  const jwe = await nodeHeader.seal(key, publicJwk, header);
  const [sealHeaderNode, sealHeaderJose, openHeaderNode, openHeaderJose] = await bestInterleaved(runs, [
    async () => {
      for (let i = 0; i < headers; i++) await nodeHeader.seal(key, publicJwk, header);
    },
    async () => {
      for (let i = 0; i < headers; i++) await new CompactEncrypt(key).setProtectedHeader(header).encrypt(webPublic);
    },
    async () => {
      for (let i = 0; i < headers; i++) await nodeHeader.open(jwe, privateJwk);
    },
    async () => {
      for (let i = 0; i < headers; i++) await compactDecrypt(jwe, privateKey, { keyManagementAlgorithms: [RESULT_ALG], contentEncryptionAlgorithms: [RESULT_ENC] });
    },
  ]);
  perNode('result header JWE seal, node:crypto (baseline)', sealHeaderNode!, headers);
  perNode('result header JWE seal, jose on WebCrypto', sealHeaderJose!, headers);
  perNode('result header JWE open, node:crypto (baseline)', openHeaderNode!, headers);
  perNode('result header JWE open, jose on WebCrypto', openHeaderJose!, headers);
  return figures;
}

/** The table `npm run bench` prints, with each WebCrypto/noble figure as a share of its node:crypto baseline (above 100 %: faster). */
export function formatCryptoFigures(figures: readonly CryptoFigure[]): string {
  const lines = ['| crypto, same run | wall clock | of baseline | per CPU second | of baseline |', '|---|---:|---:|---:|---:|'];
  let baseline: CryptoFigure | undefined;
  const share = (a: number, b: number, unit: CryptoFigure['unit']) => `${(((unit === 'µs' ? b / a : a / b) * 100)).toFixed(0)} %`;
  for (const f of figures) {
    if (f.name.endsWith('(baseline)')) baseline = f;
    const digits = f.unit === 'µs' ? 2 : 0;
    const cpuUnit = f.unit === 'µs' ? 'CPU µs' : 'MiB';
    const base = baseline && baseline !== f ? baseline : undefined;
    lines.push(
      `| ${f.name} | ${f.value.toFixed(digits)} ${f.unit} | ${base ? share(f.value, base.value, f.unit) : ''} | ${f.cpu.toFixed(digits)} ${cpuUnit} | ${base ? share(f.cpu, base.cpu, f.unit) : ''} |`,
    );
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const o = new Command('bench-crypto').option('--mib <n>', 'MiB of plaintext per AES-GCM measurement', '128').parse().opts<{ mib: string }>();
  console.log(formatCryptoFigures(await runCryptoBench({ mib: Number(o.mib) })));
}
