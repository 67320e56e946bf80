import { CheckpointAnswer, ConsistencyProofAnswer, decodeProof, EntriesAnswer } from './audit-log';
import { decodeBase64, encodeBase64 } from './bytes';
import { openCheckpoint, type Checkpoint, type NoteVerifier } from './checkpoint';
import { verifyConsistency } from './merkle';

/**
 * The reading side of the gateway's /v1/audit API, shared by the auditor's verifier
 * (`qiao audit verify`) and the departments' reconciliation (adapters/reconcile.ts): fetch the
 * latest checkpoint, check it against the pinned key and against the last one accepted.
 */

export type GetJson = (path: string) => Promise<unknown>;

/** What a follower of the log remembers between runs: the last checkpoint it accepted. */
export interface CheckpointState {
  origin: string;
  size: number;
  /** base64 root hash. */
  root: string;
  checkpoint: string;
}

export class CheckpointRejected extends Error {
  override readonly name = 'CheckpointRejected';
}

/**
 * The latest checkpoint, verified: signed by the pinned key for `origin`, and consistent with
 * `state` (a log that shrank or was rewritten since is refused even if it was re-signed).
 */
export async function followCheckpoint(options: { get: GetJson; verifier: NoteVerifier; origin: string; state?: CheckpointState | null }): Promise<{ checkpoint: Checkpoint; note: string; state: CheckpointState }> {
  const { get, verifier, origin, state } = options;
  let note: string;
  let cp: Checkpoint;
  try {
    note = CheckpointAnswer.parse(await get('/v1/audit/checkpoint')).checkpoint;
    cp = await openCheckpoint(note, verifier, origin);
  } catch (err) {
    throw new CheckpointRejected(`the latest checkpoint cannot be trusted: ${(err as Error).message}`);
  }
  if (state) {
    if (state.origin !== origin) throw new CheckpointRejected(`the state file is for log ${state.origin}, not ${origin}`);
    if (cp.size < state.size) throw new CheckpointRejected(`the log shrank from ${state.size} entries (last accepted checkpoint) to ${cp.size}: history was rewritten`);
    try {
      const proof = ConsistencyProofAnswer.parse(await get(`/v1/audit/proofs/consistency?from=${state.size}&to=${cp.size}`));
      verifyConsistency(state.size, cp.size, decodeBase64(state.root), cp.root, decodeProof(proof.proof));
    } catch (err) {
      throw new CheckpointRejected(`the checkpoint of size ${cp.size} is not consistent with the last accepted one (size ${state.size}): ${(err as Error).message}`);
    }
  }
  return { checkpoint: cp, note, state: { origin, size: cp.size, root: encodeBase64(cp.root), checkpoint: note } };
}

/** Every listed entry in [start, end), optionally one department's, following `next`. */
export async function* listEntries(get: GetJson, query: { start?: number; end: number; department?: string }): AsyncGenerator<{ index: number; entry: string }> {
  let start = query.start ?? 0;
  while (start < query.end) {
    const page = EntriesAnswer.parse(
      await get(`/v1/audit/entries?start=${start}&end=${query.end}${query.department ? `&department=${encodeURIComponent(query.department)}` : ''}`),
    );
    yield* page.entries;
    if (page.next === undefined) return;
    start = page.next;
  }
}
