import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import { decryptResult, RESULT_FORMAT } from '../../proto/result-envelope';
import type { ApiClient } from './http';

export interface ResultSummary {
  department: string;
  categories: string[];
  status: 'pending' | 'running' | 'succeeded' | 'failed';
  attempts: number;
  failureReason: string | null;
  format: string | null;
  records: number | null;
  bytes: number | null;
  sha256: string | null;
  warrantId: string | null;
}

export interface ResultsListing {
  inquiryId: string;
  status: string;
  recipientUnit: string;
  results: ResultSummary[];
}

export type DecryptedRecord = Record<string, unknown>;

/** A failed check on a downloaded result, named so the reader knows what went wrong. */
export class ResultCheckError extends Error {}

/** Polls until no department part is still pending or running, or the timeout passes. */
export async function waitForResults(api: ApiClient, inquiryId: string, timeoutMs: number): Promise<ResultsListing> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const listing = await api.get<ResultsListing>(`/v1/inquiries/${inquiryId}/results`);
    const busy = listing.results.some((r) => r.status === 'pending' || r.status === 'running');
    if (!busy || Date.now() >= until) return listing;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Downloads one department's ciphertext, checks its digest and size, and decrypts it locally. */
export async function fetchAndDecrypt(api: ApiClient, inquiryId: string, summary: ResultSummary, privateKey: JWK): Promise<DecryptedRecord[]> {
  const { department } = summary;
  if (summary.format !== RESULT_FORMAT) {
    throw new ResultCheckError(`${department}: result format ${summary.format} is not one this command reads (${RESULT_FORMAT}); update the command line`);
  }
  const res = await api.fetchRaw(`/v1/inquiries/${inquiryId}/results/${department}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (bytes.length !== summary.bytes) {
    throw new ResultCheckError(`${department}: downloaded ${bytes.length} bytes but the department reported ${summary.bytes}: the result is truncated or extended`);
  }
  if (digest !== summary.sha256) {
    throw new ResultCheckError(`${department}: ciphertext SHA-256 ${digest} does not match the department's ${summary.sha256}: the stored result was altered`);
  }
  let records: DecryptedRecord[];
  try {
    records = (await decryptResult(bytes, privateKey)) as DecryptedRecord[];
  } catch (err) {
    throw new ResultCheckError(`${department}: cannot decrypt with this unit key (${(err as Error).message}): is it the requesting unit's key?`);
  }
  if (records.length !== summary.records) {
    throw new ResultCheckError(`${department}: decrypted ${records.length} records but the department reported ${summary.records}`);
  }
  return records;
}
