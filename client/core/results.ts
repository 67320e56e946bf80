import type { CryptoKey, JWK } from 'jose';
import { encodeHex } from '../../proto/bytes';
import { createSha256, type CreateSha256 } from '../../proto/hash';
import { ReceiptError, verifyReceipt, type ReceiptClaims } from '../../proto/receipt';
import { NdjsonReader, RESULT_FORMAT, ResultDecryptor, ResultEnvelopeError, type EnvelopeOptions } from '../../proto/result-envelope';
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

/** Polls until no department part is still pending or running, or the timeout passes. */
export async function waitForResults(api: ApiClient, inquiryId: string, timeoutMs: number): Promise<ResultsListing> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const listing = await api.listResults(inquiryId);
    const busy = listing.results.some((r) => r.status === 'pending' || r.status === 'running');
    if (!busy || Date.now() >= until) return listing;
    await new Promise((r) => setTimeout(r, 500));
  }
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
 * Downloads one department's result and decrypts it as it arrives, yielding records as their
 * frames authenticate. Checks, in order: format; receipt (signature by the department's published
 * key, inquiry, warrant); each frame (authentication, order, size); the end (final frame present,
 * nothing after it); byte count, SHA-256 and record count against the receipt. Any failure throws
 * a ResultCheckError naming the check; records already yielded must then be discarded.
 */
export async function* decryptResultStream(
  api: ApiClient,
  inquiryId: string,
  summary: ResultSummary,
  options: DecryptOptions,
): AsyncGenerator<DecryptedRecord> {
  const { department } = summary;
  if (summary.format !== RESULT_FORMAT) {
    throw new ResultCheckError(`${department}: result format ${summary.format} is not one this command reads (${RESULT_FORMAT}); update the command line`, 'format');
  }
  const receipt = await checkReceipt(inquiryId, summary, options.receiptKeys);
  const download = await api.downloadResult(inquiryId, department);

  const decryptor = new ResultDecryptor(options.privateKey, { warrantId: summary.warrantId!, department }, options.envelope);
  const reader = new NdjsonReader();
  const digest = (options.createSha256 ?? createSha256)();
  let bytes = 0;
  let records = 0;
  function* parse(plaintexts: Uint8Array[]): Generator<DecryptedRecord> {
    for (const plaintext of plaintexts) {
      for (const record of reader.push(plaintext)) {
        records += 1;
        yield record;
      }
    }
  }
  try {
    for await (const chunk of chunksOf(download.body)) {
      bytes += chunk.length;
      if (bytes > receipt.bytes) throw new ResultCheckError(`${department}: receipt check failed: more than the ${receipt.bytes} bytes the receipt names arrived: the result was extended`, 'receipt');
      digest.update(chunk);
      options.onProgress?.(bytes, receipt.bytes);
      yield* parse(await decryptor.push(chunk));
    }
    yield* parse(await decryptor.finish());
    reader.end();
  } catch (error) {
    if (error instanceof ResultEnvelopeError) throw new ResultCheckError(`${department}: ${error.message}`, error.check);
    throw error;
  }
  const sha256 = encodeHex(digest.digest());
  const fail = (why: string) => new ResultCheckError(`${department}: receipt check failed: ${why}`, 'receipt');
  if (bytes !== receipt.bytes) throw fail(`downloaded ${bytes} bytes but the department's receipt says ${receipt.bytes}`);
  if (sha256 !== receipt.ciphertext_sha256) throw fail(`ciphertext SHA-256 ${sha256} does not match the receipt's ${receipt.ciphertext_sha256}`);
  if (records !== receipt.records) throw fail(`decrypted ${records} records but the receipt says ${receipt.records}`);
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
