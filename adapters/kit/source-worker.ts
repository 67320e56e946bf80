import { parentPort, workerData } from 'node:worker_threads';
import type { WarrantClaims } from '../../proto/warrant';
import type { DataSource } from './data-source';
import { projectedHere } from './project';
import { Refusal } from './refusal';
import type { FromWorker, SourceWorkerData, ToWorker } from './source-thread-messages';

/** One piece of an answer: 256 KiB of UTF-8, as streamAnswer's own buffer (stream.ts). */
const PIECE_BYTES = 256 * 1024;

const port = parentPort!;
const { module, exportName, options } = workerData as SourceWorkerData;
const factory = ((await import(module)) as Record<string, unknown>)[exportName];
if (typeof factory !== 'function') throw new Error(`source thread: ${module} has no function ${exportName} to build the data source`);
const source = (await factory(options)) as DataSource;

let credit = 0;
let wake: (() => void) | null = null;
const answers: WarrantClaims[] = [];
let working = false;

port.on('message', (message: ToWorker) => {
  // Every credit of an answer arrives before the next answer (one port, in order), so a new answer starts afresh.
  if (message.kind === 'answer') {
    credit = message.credit;
    answers.push(message.claims);
  } else credit += message.credit;
  wake?.();
  wake = null;
  if (!working) void work();
});

async function work() {
  working = true;
  while (answers.length > 0) await answer(answers.shift()!);
  working = false;
}

/** The lines of one answer as UTF-8 pieces, never more than `credit` ahead of the adapter's thread. */
async function answer(claims: WarrantClaims) {
  let buffer = Buffer.from(new ArrayBuffer(PIECE_BYTES));
  let used = 0;
  let records = 0;
  const send = async (bytes: Buffer, length: number, lines: number) => {
    while (credit === 0) await new Promise<void>((resolve) => (wake = resolve));
    credit -= 1;
    port.postMessage({ kind: 'bytes', bytes: bytes.buffer as ArrayBuffer, length, records: lines } satisfies FromWorker, [bytes.buffer as ArrayBuffer]);
  };
  const sendBuffer = async () => {
    if (used === 0) return;
    await send(buffer, used, records);
    buffer = Buffer.from(new ArrayBuffer(PIECE_BYTES));
    used = 0;
    records = 0;
  };
  try {
    for await (const { text, records: lines } of projectedHere(claims, source)) {
      // A UTF-16 code unit is at most 3 bytes of UTF-8.
      if (used + text.length * 3 > PIECE_BYTES) await sendBuffer();
      if (text.length * 3 > PIECE_BYTES) {
        // In an ArrayBuffer of its own, as it is transferred (Buffer.from(text) may share a pool).
        const bytes = Buffer.from(new ArrayBuffer(Buffer.byteLength(text, 'utf8')));
        await send(bytes, bytes.write(text, 0, 'utf8'), lines);
      } else {
        used += buffer.write(text, used, 'utf8');
        records += lines;
      }
    }
    await sendBuffer();
    port.postMessage({ kind: 'end' } satisfies FromWorker);
  } catch (error) {
    const code = error instanceof Refusal ? error.code : 'source_failed';
    const cause = error instanceof Refusal ? error.cause : error;
    port.postMessage({ kind: 'error', code, name: (cause as Error)?.name ?? typeof cause, message: String((cause as Error)?.message ?? cause) } satisfies FromWorker);
  }
}
