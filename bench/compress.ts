/**
 * Would compressing the NDJSON before it is encrypted pay? The bank's transactions as the kit
 * writes them, deflated in 64 KiB frames (how a compressed frame would be made: each frame on its
 * own, so memory stays bounded and a frame still opens alone) at a few zlib levels: the ratio,
 * and how fast it compresses and inflates per CPU second. Node's zlib is what CompressionStream
 * ('deflate-raw') runs on in Node; a browser has its own. Alone: `npx tsx bench/compress.ts`.
 */
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { createBankSource } from '../adapters/departments/bank/source';
import { createLineWriter } from '../adapters/kit/project';
import { BANK_CATEGORIES } from '../adapters/departments/bank/source';

export interface CompressionFigure {
  level: number;
  /** Plaintext bytes per compressed byte. */
  ratio: number;
  /** Plaintext MiB per CPU second, compressing and inflating. */
  compress: number;
  inflate: number;
}

const COOPERATIVE = '93150627MA0N2K7P26';
const cpuSeconds = (start: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
};

/** `mib` MiB of the bank's NDJSON, as 64 KiB frames. */
async function bankFrames(mib: number): Promise<Buffer[]> {
  const fields = BANK_CATEGORIES.bank_transactions;
  const subject = { kind: 'organisation' as const, id: COOPERATIVE };
  const line = createLineWriter('bank_transactions', subject, fields);
  const found = createBankSource({ volume: { [COOPERATIVE]: Math.ceil((mib * 1048576) / 250) } }).lookup('bank_transactions', subject);
  let text = '';
  for await (const batch of found as AsyncIterable<Record<string, unknown>[]>) for (const r of batch) text += line(r);
  const all = Buffer.from(text, 'utf8').subarray(0, mib * 1048576);
  const frames: Buffer[] = [];
  for (let at = 0; at < all.length; at += 65_536) frames.push(all.subarray(at, at + 65_536));
  return frames;
}

export async function runCompressionBench(options: { mib?: number; levels?: number[] } = {}): Promise<CompressionFigure[]> {
  const frames = await bankFrames(options.mib ?? 32);
  const plain = frames.reduce((n, f) => n + f.length, 0);
  const figures: CompressionFigure[] = [];
  for (const level of options.levels ?? [1, 3, 6]) {
    let start = process.cpuUsage();
    const packed = frames.map((f) => deflateRawSync(f, { level, strategy: constants.Z_DEFAULT_STRATEGY }));
    const compress = plain / 1048576 / cpuSeconds(start);
    start = process.cpuUsage();
    let back = 0;
    for (const p of packed) back += inflateRawSync(p, { maxOutputLength: 65_536 }).length;
    const inflate = plain / 1048576 / cpuSeconds(start);
    if (back !== plain) throw new Error('inflate gave back other bytes');
    figures.push({ level, ratio: plain / packed.reduce((n, p) => n + p.length, 0), compress, inflate });
  }
  return figures;
}

export function formatCompressionFigures(figures: readonly CompressionFigure[]): string {
  const lines = ['| deflate-raw per 64 KiB frame, bank NDJSON | ratio | compress MiB/CPU s | inflate MiB/CPU s |', '|---|---:|---:|---:|'];
  for (const f of figures) lines.push(`| zlib level ${f.level} | ${f.ratio.toFixed(2)} | ${f.compress.toFixed(0)} | ${f.inflate.toFixed(0)} |`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(formatCompressionFigures(await runCompressionBench()));
