import type { Db } from '../../db/client';
import { appendAuditAlone, type AuditEntry, type AuditWriter } from './append-audit';

/**
 * Appends audit entries that record nothing else — a result download's `result.downloaded` —
 * with group commit: while one append is running, the entries that arrive meanwhile wait, and
 * the next append writes them all together, under one tree lock and one commit
 * (appendAuditAlone: one statement, no transaction around it), instead of one serialised append
 * each. A lone entry goes at once, so nothing waits that would not have waited for the tree lock
 * anyway.
 *
 * `append` resolves once its entry has committed, so a caller can still hold back what the entry
 * records until it is durable. A batch that fails writes none of its entries, and every caller in
 * it gets the error.
 */
export interface AuditGroupCommit {
  append(entry: AuditEntry): Promise<void>;
}

interface Waiting {
  entry: AuditEntry;
  resolve(): void;
  reject(err: unknown): void;
}

/** More than this wait for the next transaction: keeps one batch's statement and its row lock bounded. */
const MAX_BATCH = 64;

export function createAuditGroupCommit(deps: { db: Db; audit: AuditWriter }): AuditGroupCommit {
  let queue: Waiting[] = [];
  let running = false;

  async function run(): Promise<void> {
    running = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, MAX_BATCH);
        queue = queue.slice(batch.length);
        try {
          await appendAuditAlone(deps.db, batch.map((w) => w.entry), deps.audit);
        } catch (err) {
          for (const w of batch) w.reject(err);
          continue;
        }
        for (const w of batch) w.resolve();
      }
    } finally {
      running = false;
    }
  }

  return {
    append(entry) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ entry, resolve, reject });
        // Started after this tick's other appends have joined the queue.
        if (!running) {
          running = true;
          queueMicrotask(() => void run());
        }
      });
    },
  };
}
