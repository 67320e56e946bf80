import { Worker } from 'node:worker_threads';
import type { WarrantClaims } from '../../proto/warrant';
import type { DataSource } from './data-source';
import type { NdjsonBatch } from './data-source';
import { Refusal, type RefusalCode } from './refusal';
import type { FromWorker, SourceWorkerData, ToWorker } from './source-thread-messages';

/**
 * How to build the same data source again on a worker thread: a module (URL or path) whose
 * export `exportName` is a function of `options` (structured-cloneable) returning the source, or a
 * promise of it. Functions and connections cannot cross threads; what builds them can.
 */
export interface SourceThreadsOptions extends SourceWorkerData {
  /** Worker threads, each generating one answer at a time; 0: none, everything on this thread. */
  threads: number;
  /**
   * Told when a worker thread fails on its own (it could not build the source, it crashed while
   * idle): answers then go on without it, on the other threads or this one, so an operator learns
   * of it only here.
   */
  onThreadFailed?: (problem: string) => void;
}

/**
 * Answers a worker may have sent and this thread not yet taken: each is at most 256 KiB of NDJSON
 * (source-worker.ts), so an answer holds at most about 1 MiB between the threads.
 */
const IN_FLIGHT = 4;

const BOOT = new URL('./source-worker.mjs', import.meta.url);

/**
 * The source as it is, plus `projectedElsewhere`: a warrant's lookups, projection and NDJSON
 * serialisation run on one of `threads` worker threads, each with its own copy of the source,
 * while this thread deflates, encrypts and sends (the bank's generation and serialisation were
 * two thirds of its adapter's CPU, all on one core). When every thread is busy an answer is made
 * on this thread, as without threads. The workers are started now and do not keep the process
 * alive.
 */
export function withSourceThreads(source: DataSource, opts: SourceThreadsOptions): DataSource {
  if (opts.threads <= 0) return source;
  const idle: Worker[] = [];
  const start = () => {
    const worker = new Worker(BOOT, { workerData: { module: opts.module, exportName: opts.exportName, options: opts.options } satisfies SourceWorkerData });
    worker.unref();
    // A worker that fails on its own (it could not build the source) is not handed out again; an
    // answer it was making fails as a source_failed refusal (see answerOn).
    const drop = (problem: string) => {
      const at = idle.indexOf(worker);
      if (at < 0) return; // handed out: answerOn reports its failure with the answer
      idle.splice(at, 1);
      opts.onThreadFailed?.(`${problem}; ${idle.length} of ${opts.threads} source thread(s) left, answers without one are made on the main thread`);
    };
    worker.once('error', (error: Error) => drop(`a source thread failed: ${error.message}`));
    worker.once('exit', (code: number) => drop(`a source thread exited (code ${code})`));
    idle.push(worker);
  };
  for (let i = 0; i < opts.threads; i++) start();
  return {
    ...source,
    projectedElsewhere(claims) {
      const worker = idle.pop();
      if (!worker) return null;
      return answerOn(worker, claims, (reusable) => {
        if (reusable) idle.push(worker);
        else {
          void worker.terminate();
          start();
        }
      });
    },
  };
}

/** One answer made on `worker`; `release(true)` once it ended cleanly, `release(false)` if the worker cannot be trusted with another. */
async function* answerOn(worker: Worker, claims: WarrantClaims, release: (reusable: boolean) => void): AsyncGenerator<NdjsonBatch> {
  const inbox: FromWorker[] = [];
  let wake: (() => void) | null = null;
  const deliver = (message: FromWorker) => {
    inbox.push(message);
    wake?.();
    wake = null;
  };
  const onMessage = (message: FromWorker) => deliver(message);
  const onError = (error: Error) => deliver({ kind: 'error', code: 'source_failed', name: error.name, message: `the source's worker thread failed: ${error.message}` });
  const onExit = (code: number) => deliver({ kind: 'error', code: 'source_failed', name: 'Error', message: `the source's worker thread exited (code ${code}) mid-answer` });
  worker.on('message', onMessage);
  worker.on('error', onError);
  worker.on('exit', onExit);
  let clean = false;
  try {
    worker.postMessage({ kind: 'answer', claims, credit: IN_FLIGHT } satisfies ToWorker);
    for (;;) {
      while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const message = inbox.shift()!;
      if (message.kind === 'end') {
        clean = true;
        return;
      }
      if (message.kind === 'error') {
        const cause = Object.assign(new Error(message.message), { name: message.name });
        throw new Refusal(message.code as RefusalCode, undefined, { cause });
      }
      yield { bytes: new Uint8Array(message.bytes, 0, message.length), records: message.records };
      worker.postMessage({ kind: 'credit', credit: 1 } satisfies ToWorker);
    }
  } finally {
    worker.off('message', onMessage);
    worker.off('error', onError);
    worker.off('exit', onExit);
    // An answer left early (the caller went away) leaves its worker mid-generation: it is replaced.
    release(clean);
  }
}
