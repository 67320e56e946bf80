import {
  auditLeafHash,
  AuditEntryError,
  ConsistencyProofAnswer,
  decodeProof,
  EntriesAnswer,
  parseAuditEntry,
  type AuditLogEntry,
} from '../../proto/audit-log';
import { CheckpointRejected, followCheckpoint, type CheckpointState, type GetJson } from '../../proto/audit-client';
import { checkAuditEntry } from '../../proto/audit-entry';
import type { Checkpoint, NoteVerifier } from '../../proto/checkpoint';
import { hashEquals, HASH_SIZE, ProofError, storedHashCount, storedHashesForLeaf, storedHashIndex, treeHash, verifyConsistency, type Hash } from '../../proto/merkle';

/**
 * `qiao audit verify`: checks the gateway's audit log without trusting the gateway. Only proto/
 * code is used, so an auditor can run it from anywhere with the pinned checkpoint key.
 *
 *  1. the latest checkpoint is signed by the pinned key, for the expected log;
 *  2. it is consistent with the last checkpoint this verifier accepted (kept in a state file):
 *     a log that was rewritten, or shrank, since then is caught even if it was re-signed;
 *  3. every entry up to the checkpoint's size is fetched and hashed; the recomputed root must be
 *     the signed one. If not, the first entry that differs is found by bisection with
 *     consistency proofs, and named;
 *  4. every entry matches its action's format (proto/audit-entry.ts), and the entries make sense
 *     in order: every warrant follows the approval of its inquiry, every answer and every read of
 *     a warrant follows its issue, no download before the answer.
 */

export type VerifyState = CheckpointState;

export interface Problem {
  index?: number;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  checkpoint?: Checkpoint;
  entries: number;
  problems: Problem[];
  /** The state to keep when `ok` (the checkpoint now accepted). */
  state?: VerifyState;
}

export class VerifyAbort extends Error {}

export async function verifyAuditLog(options: { get: GetJson; verifier: NoteVerifier; origin: string; state?: VerifyState | null; pageSize?: number }): Promise<VerifyReport> {
  const { get, verifier, origin, state } = options;
  const problems: Problem[] = [];
  const fail = (message: string, index?: number): VerifyReport => ({ ok: false, entries: 0, problems: [...problems, { message, ...(index === undefined ? {} : { index }) }] });

  let cp: Checkpoint;
  let accepted: CheckpointState;
  try {
    ({ checkpoint: cp, state: accepted } = await followCheckpoint({ get, verifier, origin, state }));
  } catch (err) {
    if (err instanceof CheckpointRejected) return fail(err.message);
    throw err;
  }

  // Replay: every entry, in order, hashed into a local copy of the stored-hash layout.
  const replay = new Replay(cp.size);
  let next = 0;
  while (next < cp.size) {
    const page = EntriesAnswer.parse(await get(`/v1/audit/entries?start=${next}&end=${cp.size}`));
    if (page.entries.length === 0) return { ...fail(`entries ${next}–${cp.size - 1} are missing: the gateway lists none of them`, next), checkpoint: cp };
    for (const { index, entry } of page.entries) {
      if (index !== next) {
        problems.push(index > next ? { index: next, message: `entry ${next} is missing (the listing jumps from ${next - 1} to ${index})` } : { index, message: `entry ${index} is listed twice or out of order` });
        return { ok: false, checkpoint: cp, entries: next, problems };
      }
      await replay.add(entry, problems);
      next++;
    }
  }

  const root = await replay.root();
  if (!hashEquals(root, cp.root)) {
    const bad = await bisect(get, cp, replay);
    problems.push({
      index: bad,
      message: `entry ${bad} is not the entry the signed checkpoint covers (edited, inserted, deleted or moved)${replay.describe(bad)}; the recomputed root of ${cp.size} entries differs from the signed one`,
    });
  }
  problems.push(...replay.semanticProblems);
  problems.sort((a, b) => (a.index ?? -1) - (b.index ?? -1));
  const ok = problems.length === 0;
  return {
    ok,
    checkpoint: cp,
    entries: cp.size,
    problems,
    ...(ok ? { state: accepted } : {}),
  };
}

/**
 * The first entry whose prefix is not consistent with the signed checkpoint: the smallest m such
 * that the first m local entries do not hash to a prefix of the signed tree. Consistency proofs
 * come from the gateway; a lying proof can only make it name another entry, never pass.
 */
async function bisect(get: GetJson, cp: Checkpoint, replay: Replay): Promise<number> {
  let good = 0; // the first `good` entries are known consistent
  let bad = cp.size; // the first `bad` entries are not
  while (bad - good > 1) {
    const mid = Math.floor((good + bad) / 2);
    const proof = ConsistencyProofAnswer.parse(await get(`/v1/audit/proofs/consistency?from=${mid}&to=${cp.size}`));
    try {
      verifyConsistency(mid, cp.size, await replay.prefixRoot(mid), cp.root, decodeProof(proof.proof));
      good = mid;
    } catch (err) {
      if (!(err instanceof ProofError)) throw err;
      bad = mid;
    }
  }
  return bad - 1;
}

/** Tracks what each inquiry has reached, to check the order of events. */
interface InquiryTrack {
  submitted?: number;
  approved?: number;
  departments?: string[];
  warrants: Map<string, { index: number; department: string }>;
  answered: Map<string, number>;
}

export class Replay {
  private readonly hashes: Uint8Array;
  private readonly summaries: string[] = [];
  private count = 0;
  readonly semanticProblems: Problem[] = [];
  private readonly inquiries = new Map<string, InquiryTrack>();

  constructor(readonly expected: number) {
    this.hashes = new Uint8Array(storedHashCount(expected) * HASH_SIZE);
  }

  private read = (indexes: readonly number[]): Hash[] => indexes.map((i) => this.hashes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));

  async add(text: string, problems: Problem[]): Promise<void> {
    const n = this.count++;
    const stored = await storedHashesForLeaf(n, auditLeafHash(text), this.read);
    stored.forEach((h, i) => this.hashes.set(h, (storedHashIndex(0, n) + i) * HASH_SIZE));
    let entry: AuditLogEntry;
    try {
      entry = parseAuditEntry(text);
    } catch (err) {
      if (!(err instanceof AuditEntryError)) throw err;
      problems.push({ index: n, message: `entry ${n} is malformed: ${err.message}` });
      this.summaries.push('');
      return;
    }
    this.summaries.push(`${entry.action}${entry.inquiryId ? ` of inquiry ${entry.inquiryId}` : ''}`);
    this.check(n, entry);
  }

  describe(index: number): string {
    const s = this.summaries[index];
    return s ? ` — the log now says: ${s}` : '';
  }

  root(): Promise<Hash> {
    return treeHash(this.count, this.read);
  }

  prefixRoot(size: number): Promise<Hash> {
    return treeHash(size, this.read);
  }

  private track(id: string): InquiryTrack {
    let t = this.inquiries.get(id);
    if (!t) this.inquiries.set(id, (t = { warrants: new Map(), answered: new Map() }));
    return t;
  }

  private problem(index: number, message: string): void {
    this.semanticProblems.push({ index, message: `entry ${index}: ${message}` });
  }

  /** The order of events, read through each action's schema (proto/audit-entry.ts). */
  private check(i: number, e: AuditLogEntry): void {
    const checked = checkAuditEntry(e);
    if (!checked.ok) {
      this.problem(i, checked.problem);
      return;
    }
    if (!e.inquiryId) return;
    const t = this.track(e.inquiryId);
    const { entry } = checked;
    switch (entry.action) {
      case 'inquiry.submitted':
        if (t.submitted !== undefined) this.problem(i, `inquiry ${e.inquiryId} submitted twice (first at entry ${t.submitted})`);
        t.submitted = i;
        break;
      case 'inquiry.approved':
      case 'inquiry.rejected':
        if (t.submitted === undefined) this.problem(i, `${entry.action} of inquiry ${e.inquiryId}, which was never submitted`);
        if (t.approved !== undefined) this.problem(i, `inquiry ${e.inquiryId} decided again after its approval at entry ${t.approved}`);
        if (entry.action === 'inquiry.approved') {
          t.approved = i;
          t.departments = entry.details.departments;
        }
        break;
      case 'warrant.issued': {
        const { department, warrantId } = entry.details;
        if (t.approved === undefined) this.problem(i, `warrant ${warrantId} for ${department} issued for inquiry ${e.inquiryId} before any approval`);
        else if (t.departments && !t.departments.includes(department)) this.problem(i, `warrant ${warrantId} for ${department}, a department the approval did not cover`);
        t.warrants.set(warrantId, { index: i, department });
        break;
      }
      case 'warrant.read': {
        const { department, warrantId } = entry.details;
        const w = t.warrants.get(warrantId);
        if (!w || w.department !== department) this.problem(i, `warrant ${warrantId} of ${department} read, but it was never issued to ${department} for inquiry ${e.inquiryId}`);
        break;
      }
      case 'department.answered': {
        const { department, warrantId } = entry.details;
        const w = t.warrants.get(warrantId);
        if (!w) this.problem(i, `answer from ${department} under warrant ${warrantId}, which was never issued for inquiry ${e.inquiryId}`);
        else if (w.department !== department) this.problem(i, `answer from ${department} under a warrant issued to ${w.department}`);
        t.answered.set(`${department}/${warrantId}`, i);
        break;
      }
      case 'result.downloaded': {
        const { department, warrantId } = entry.details;
        if (!t.answered.has(`${department}/${warrantId}`)) this.problem(i, `result of ${department} (warrant ${warrantId}) downloaded before the department answered`);
        break;
      }
      case 'part.failed':
        if (t.approved === undefined) this.problem(i, `part of inquiry ${e.inquiryId} failed before the inquiry was approved`);
        break;
      default:
        break;
    }
  }
}
