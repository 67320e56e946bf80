import { followCheckpoint, listEntries, type CheckpointState, type GetJson } from './audit-client';
import { checkAuditEntry } from './audit-entry';
import { auditLeafHash, decodeProof, InclusionProofAnswer, parseAuditEntry } from './audit-log';
import type { NoteVerifier } from './checkpoint';
import { verifyInclusion } from './merkle';
import type { ServedLogEntry } from './served-log';

/**
 * A department checks the gateway: every warrant it served must be in the gateway's audit log,
 * proven by an inclusion proof against a signed checkpoint that is consistent with the last one
 * the department accepted. The gateway's entries for the department are compared with the
 * department's own served-warrant log (adapters/kit/served-log.ts):
 *
 *  - served but not logged: the department acted on a warrant (accepted, served or failed it)
 *    that the gateway cannot prove it logged — someone was looked up off the record;
 *  - digest mismatch: the gateway logged a different warrant under that warrant id;
 *  - logged but not served: the gateway logged a warrant the department never saw (a call that
 *    failed on the way, or a log entry for a query that never happened);
 *  - refused and not logged: a warrant the department refused (forged, expired…) that the log
 *    does not know either — worth a look, no data left;
 *  - answer mismatch: the gateway logged (`department.answered`) another ciphertext digest or
 *    record count than the department served under that warrant — the stored result is not
 *    what the department sent.
 *
 * Warrants from the last `graceMs` are left out of the first and third lists: a checkpoint
 * signed a moment before may not cover them yet (the gateway signs one every minute by default).
 *
 * The gateway's entries are read through the contract's schemas (proto/audit-entry.ts); one of
 * this department's entries that does not match its action's format is an entry that does not
 * verify. The department's own log names the warrant id `jti`, as the warrant does; the report
 * calls it the warrant id, as the audit log does.
 */

export interface LoggedWarrant {
  index: number;
  warrantId: string;
  sha256: string;
  inquiryId?: string;
  at: string;
}

export interface ServedWarrant {
  warrantId: string;
  warrantSha256: string;
  inquiryId?: string;
  outcome: ServedLogEntry['outcome'];
  at: string;
  records?: number;
  ciphertextSha256?: string;
}

export interface LoggedAnswer {
  index: number;
  warrantId: string;
  sha256: string;
  records: number;
}

export interface ReconcileReport {
  department: string;
  checkpointSize: number;
  /** Size of the checkpoint accepted before this run, if any. */
  previousSize?: number;
  matched: number;
  servedNotLogged: ServedWarrant[];
  digestMismatch: { served: ServedWarrant; logged: LoggedWarrant }[];
  loggedNotServed: LoggedWarrant[];
  refusedNotLogged: ServedWarrant[];
  answerMismatch: { served: ServedWarrant; logged: LoggedAnswer }[];
  /** Entries the gateway listed that do not verify (bad proof, not canonical, another department). */
  badEntries: { index: number; problem: string }[];
  /** Left for the next run: too recent to expect in the checkpoint. */
  pending: number;
  /** The checkpoint now accepted: keep it for the next run. */
  state: CheckpointState;
}

export function reportFailed(r: ReconcileReport): boolean {
  return r.servedNotLogged.length > 0 || r.digestMismatch.length > 0 || r.answerMismatch.length > 0 || r.badEntries.length > 0;
}

export async function reconcileDepartment(options: {
  get: GetJson;
  verifier: NoteVerifier;
  origin: string;
  department: string;
  served: readonly ServedLogEntry[];
  state?: CheckpointState | null;
  graceMs?: number;
  now?: Date;
}): Promise<ReconcileReport> {
  const { get, department } = options;
  const { checkpoint: cp, state } = await followCheckpoint(options);
  const cutoff = (options.now ?? new Date()).getTime() - (options.graceMs ?? 120_000);
  const recent = (at: string) => Date.parse(at) > cutoff;

  const logged = new Map<string, LoggedWarrant>();
  const answers = new Map<string, LoggedAnswer>();
  const badEntries: ReconcileReport['badEntries'] = [];
  for await (const { index, entry } of listEntries(get, { end: cp.size, department })) {
    try {
      const e = parseAuditEntry(entry);
      const proof = InclusionProofAnswer.parse(await get(`/v1/audit/proofs/inclusion?index=${index}&size=${cp.size}`));
      verifyInclusion(index, cp.size, auditLeafHash(entry), decodeProof(proof.proof), cp.root);
      const checked = checkAuditEntry(e);
      if (!checked.ok) throw new Error(checked.problem);
      const { entry: typed } = checked;
      const entryDepartment = 'department' in typed.details ? typed.details.department : undefined;
      if (entryDepartment !== department) throw new Error(`it is an entry of ${entryDepartment ?? 'no department'}`);
      if (typed.action === 'department.answered') {
        const { warrantId, sha256, records } = typed.details;
        answers.set(warrantId, { index, warrantId, sha256, records });
      } else if (typed.action === 'warrant.issued') {
        const { warrantId, sha256 } = typed.details;
        logged.set(warrantId, { index, warrantId, sha256, ...(e.inquiryId ? { inquiryId: e.inquiryId } : {}), at: e.at });
      }
    } catch (err) {
      badEntries.push({ index, problem: (err as Error).message });
    }
  }

  // The department's log: one warrant per warrant id, its latest outcome kept (served or failed after accepted).
  const served = new Map<string, ServedWarrant>();
  const refused: ServedWarrant[] = [];
  for (const s of options.served) {
    const w: ServedWarrant = {
      warrantId: s.jti ?? '',
      warrantSha256: s.warrantSha256,
      outcome: s.outcome,
      at: s.at,
      ...(s.inquiryId ? { inquiryId: s.inquiryId } : {}),
      ...(s.records === undefined ? {} : { records: s.records }),
      ...(s.ciphertextSha256 ? { ciphertextSha256: s.ciphertextSha256 } : {}),
    };
    if (s.outcome === 'refused') refused.push(w);
    else if (s.jti) served.set(s.jti, w);
  }

  const report: ReconcileReport = {
    department,
    checkpointSize: cp.size,
    ...(options.state ? { previousSize: options.state.size } : {}),
    matched: 0,
    servedNotLogged: [],
    digestMismatch: [],
    loggedNotServed: [],
    refusedNotLogged: [],
    answerMismatch: [],
    badEntries,
    pending: 0,
    state,
  };
  for (const w of served.values()) {
    const l = logged.get(w.warrantId);
    if (!l) {
      if (recent(w.at)) report.pending++;
      else report.servedNotLogged.push(w);
    } else if (l.sha256 !== w.warrantSha256) report.digestMismatch.push({ served: w, logged: l });
    else report.matched++;
    const answer = answers.get(w.warrantId);
    if (answer && w.outcome === 'served' && (answer.sha256 !== w.ciphertextSha256 || answer.records !== w.records)) {
      report.answerMismatch.push({ served: w, logged: answer });
    }
  }
  for (const l of logged.values()) {
    if (served.has(l.warrantId)) continue;
    if (refused.some((r) => r.warrantId === l.warrantId || r.warrantSha256 === l.sha256)) continue; // seen, and refused
    if (recent(l.at)) report.pending++;
    else report.loggedNotServed.push(l);
  }
  for (const r of refused) {
    if (!(r.warrantId && logged.has(r.warrantId)) && ![...logged.values()].some((l) => l.sha256 === r.warrantSha256)) report.refusedNotLogged.push(r);
  }
  return report;
}

export function formatReport(r: ReconcileReport): string {
  const lines = [
    `department ${r.department}: checkpoint of ${r.checkpointSize} entries` +
      (r.previousSize === undefined ? ' (first run: now pinned)' : `, consistent with the one accepted before (${r.previousSize})`),
    `  ${r.matched} warrants served and logged, digests matching${r.pending ? `; ${r.pending} too recent to judge, left for the next run` : ''}`,
  ];
  const section = (title: string, items: string[]) => {
    if (items.length) lines.push(`  ${title} (${items.length}):`, ...items.map((i) => `    ${i}`));
  };
  section('SERVED BUT NOT LOGGED by the gateway', r.servedNotLogged.map((w) => `warrant ${w.warrantId} (${w.outcome} at ${w.at}, inquiry ${w.inquiryId ?? '?'}, warrant sha256 ${w.warrantSha256})`));
  section('LOGGED WITH ANOTHER WARRANT DIGEST', r.digestMismatch.map((m) => `warrant ${m.served.warrantId}: served ${m.served.warrantSha256}, logged ${m.logged.sha256} (entry ${m.logged.index})`));
  section(
    'ANSWER LOGGED DIFFERENTLY',
    r.answerMismatch.map((m) => `warrant ${m.served.warrantId}: served ${m.served.records} records, ciphertext ${m.served.ciphertextSha256}; logged ${m.logged.records}, ${m.logged.sha256} (entry ${m.logged.index})`),
  );
  section('GATEWAY ENTRIES THAT DO NOT VERIFY', r.badEntries.map((b) => `entry ${b.index}: ${b.problem}`));
  section('logged but not served', r.loggedNotServed.map((l) => `warrant ${l.warrantId} (entry ${l.index}, issued ${l.at}, inquiry ${l.inquiryId ?? '?'})`));
  section('refused and not logged', r.refusedNotLogged.map((w) => `${w.warrantId ? `warrant ${w.warrantId}` : 'unreadable warrant'} (refused at ${w.at}, warrant sha256 ${w.warrantSha256})`));
  return lines.join('\n');
}
