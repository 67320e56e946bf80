import type { CryptoKey, JWK } from 'jose';
import { encodeHex } from '../../proto/bytes';
import { createSha256, type CreateSha256 } from '../../proto/hash';
import { ReceiptError, verifyReceipt, type ReceiptClaims } from '../../proto/receipt';
import { isResultFormat, NdjsonLines, NdjsonReader, RESULT_FORMATS, ResultDecryptor, ResultEnvelopeError, type EnvelopeOptions } from '../../proto/result-envelope';
import type { InquiryResults, ResultSummary } from '../../proto/api/results';
import type { ApiClient } from './api-client';

/** The listing the gateway answers at GET /v1/inquiries/{id}/results (proto/api/results.ts). */
export type ResultsListing = InquiryResults;
export type { ResultSummary };

export type DecryptedRecord = Record<string, unknown>;

/**
 * A failed check on a downloaded result. `check` names it (receipt, frame-authentication,
 * truncated, …) so the reader knows what went wrong; the message says it in words.
 */
export class ResultCheckError extends Error {
  constructor(
    message: string,
    readonly check = 'result',
  ) {
    super(message);
  }
}

/**
 * The results listing once no department part is still pending or running, or when `timeoutMs`
 * has passed: the inquiry's event stream (GET /v1/inquiries/{id}/events) says when, so nothing is
 * polled. With `timeoutMs` 0 it is one look at the listing.
 */
export async function waitForResults(api: ApiClient, inquiryId: string, timeoutMs: number): Promise<ResultsListing> {
  if (timeoutMs > 0) {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), timeoutMs);
    try {
      for await (const view of api.followInquiry(inquiryId, { signal: stop.signal })) {
        if (!view.parts.some((p) => p.status === 'pending' || p.status === 'running')) break;
      }
    } catch (err) {
      if (!stop.signal.aborted) throw err; // the timeout is not a failure: the listing shows what is there
    } finally {
      clearTimeout(timer);
      stop.abort();
    }
  }
  return api.listResults(inquiryId);
}

/**
 * Where a department's receipt key comes from: the directory's publication (the command line
 * reads its files, client/cli/directory-keys.ts) — never the gateway, which relays receipts and
 * so must not be the one vouching for the key that signs them.
 */
export type ReceiptKeyLookup = (department: string) => Promise<JWK>;

export interface DecryptOptions {
  /** The unit's private key: a JWK (command line) or a non-extractable WebCrypto key (console). */
  privateKey: JWK | CryptoKey;
  receiptKeys: ReceiptKeyLookup;
  /** Called after each downloaded chunk with the bytes so far and the total. */
  onProgress?: (bytes: number, total: number) => void;
  /**
   * The SHA-256 of the whole ciphertext, checked against the receipt. The default (pure
   * JavaScript, proto/hash.ts) runs anywhere at ~200 MiB/s; the command line passes node:crypto's.
   */
  createSha256?: CreateSha256;
  /** The frame cipher and frames in flight (default WebCrypto); the command line passes node:crypto's (proto/node/primitives.ts). */
  envelope?: EnvelopeOptions;
}

/** The receipt, checked before anything is downloaded: the department's signature, this inquiry, this warrant. */
export async function checkReceipt(inquiryId: string, summary: ResultSummary, receiptKeys: ReceiptKeyLookup): Promise<ReceiptClaims> {
  const { department } = summary;
  const fail = (why: string) => new ResultCheckError(`${department}: receipt check failed: ${why}`, 'receipt');
  if (!summary.receipt) throw fail('the result has no receipt from the department');
  if (!summary.warrantId) throw fail('the listing names no warrant');
  let receipt: ReceiptClaims;
  try {
    receipt = await verifyReceipt(summary.receipt, { department, warrantId: summary.warrantId, publicJwk: await receiptKeys(department) });
  } catch (error) {
    if (error instanceof ReceiptError) throw fail(error.message);
    throw error;
  }
  if (receipt.inquiry_id !== inquiryId) throw fail(`the receipt is for inquiry ${receipt.inquiry_id}, not ${inquiryId}`);
  if (receipt.format !== summary.format) throw fail(`the receipt names format ${receipt.format}, the gateway ${summary.format}`);
  return receipt;
}

/**
 * What becomes of the verified plaintext: `push` turns each authenticated piece into output (records,
 * or runs of NDJSON lines), `end` checks the plaintext ended cleanly, `records` counts the records
 * read so far — checked against the receipt at the end.
 */
export interface PlaintextReader<T> {
  push(plaintext: Uint8Array): T[];
  end(): void;
  readonly records: number;
}

/**
 * Downloads one department's result and decrypts it as it arrives, handing each authenticated
 * piece of plaintext to `reader` and yielding what it makes of it. Checks, in order: format;
 * receipt (signature by the department's published key, inquiry, warrant); each frame
 * (authentication, order, size); the end (final frame present, nothing after it); byte count,
 * SHA-256 and record count against the receipt. Any failure throws a ResultCheckError naming the
 * check; output already yielded must then be discarded.
 */
export async function* decryptResultWith<T>(
  api: ApiClient,
  inquiryId: string,
  summary: ResultSummary,
  options: DecryptOptions,
  reader: PlaintextReader<T>,
): AsyncGenerator<T> {
  const { department } = summary;
  const format = summary.format;
  if (!isResultFormat(format)) {
    throw new ResultCheckError(`${department}: result format ${format} is not one this command reads (${RESULT_FORMATS.join(', ')}); update the command line`, 'format');
  }
  const receipt = await checkReceipt(inquiryId, summary, options.receiptKeys);
  const download = await api.downloadResult(inquiryId, department);

  // The format the department signed in its receipt (checkReceipt compared it with the listing's).
  const decryptor = new ResultDecryptor(options.privateKey, { warrantId: summary.warrantId!, department }, { ...options.envelope, format });
  const digest = (options.createSha256 ?? createSha256)();
  let bytes = 0;
  function* read(plaintexts: Uint8Array[]): Generator<T> {
    for (const plaintext of plaintexts) yield* reader.push(plaintext);
  }
  try {
    for await (const chunk of chunksOf(download.body)) {
      bytes += chunk.length;
      if (bytes > receipt.bytes) throw new ResultCheckError(`${department}: receipt check failed: more than the ${receipt.bytes} bytes the receipt names arrived: the result was extended`, 'receipt');
      digest.update(chunk);
      options.onProgress?.(bytes, receipt.bytes);
      yield* read(await decryptor.push(chunk));
    }
    yield* read(await decryptor.finish());
    reader.end();
  } catch (error) {
    if (error instanceof ResultEnvelopeError) throw new ResultCheckError(`${department}: ${error.message}`, error.check);
    throw error;
  }
  const sha256 = encodeHex(digest.digest());
  const fail = (why: string) => new ResultCheckError(`${department}: receipt check failed: ${why}`, 'receipt');
  if (bytes !== receipt.bytes) throw fail(`downloaded ${bytes} bytes but the department's receipt says ${receipt.bytes}`);
  if (sha256 !== receipt.ciphertext_sha256) throw fail(`ciphertext SHA-256 ${sha256} does not match the receipt's ${receipt.ciphertext_sha256}`);
  if (reader.records !== receipt.records) throw fail(`decrypted ${reader.records} records but the receipt says ${receipt.records}`);
}

/** Parses each NDJSON line into a record (tables, conversions, the console). */
function recordReader(): PlaintextReader<DecryptedRecord> {
  const ndjson = new NdjsonReader();
  let records = 0;
  return {
    push(plaintext) {
      const out = ndjson.push(plaintext);
      records += out.length;
      return out;
    },
    end: () => ndjson.end(),
    get records() {
      return records;
    },
  };
}

/** One department's result as records, yielded as their frames authenticate (decryptResultWith). */
export function decryptResultStream(api: ApiClient, inquiryId: string, summary: ResultSummary, options: DecryptOptions): AsyncGenerator<DecryptedRecord> {
  return decryptResultWith(api, inquiryId, summary, options, recordReader());
}

/**
 * One department's result as runs of whole NDJSON lines, the department's bytes unchanged (UTF-8
 * and `{…}` framing checked, lines counted, nothing parsed): for NDJSON output, where parsing each
 * record and serialising it again was most of the command line's work. `isUtf8` as in NdjsonLines.
 */
export function decryptResultLines(
  api: ApiClient,
  inquiryId: string,
  summary: ResultSummary,
  options: DecryptOptions & { isUtf8?: (bytes: Uint8Array) => boolean },
): AsyncGenerator<Uint8Array> {
  return decryptResultWith(api, inquiryId, summary, options, new NdjsonLines(options.isUtf8));
}

/** The whole result as an array (small results, tests). */
export async function fetchAndDecrypt(api: ApiClient, inquiryId: string, summary: ResultSummary, options: DecryptOptions): Promise<DecryptedRecord[]> {
  const out: DecryptedRecord[] = [];
  for await (const record of decryptResultStream(api, inquiryId, summary, options)) out.push(record);
  return out;
}

/** A stream's chunks as they arrive; a reader rather than async iteration, which not every browser has. */
async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) yield next.value;
  } finally {
    // Stopping early (a failed check) releases the connection instead of leaving it half read.
    await reader.cancel().catch(() => undefined);
  }
}
