import { desc, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import { signCheckpoint, type NoteSigner } from '../../../proto/checkpoint';
import { treeHash } from '../../../proto/merkle';
import type { DbOrTx } from '../../db/client';
import { auditCheckpoints } from '../../db/schema';
import { describeError } from '../../logger';
import { currentTreeSize, hashReader, toBytes } from './log-store';

/** The log's name in its checkpoints, and the key that signs them (keys/checkpoint-signing.jwk). */
export interface CheckpointSigning {
  origin: string;
  signer: NoteSigner;
}

export interface StoredCheckpoint {
  size: number;
  root: Uint8Array;
  note: string;
  createdAt: Date;
}

/**
 * Signs a checkpoint of the log as it is now and keeps it. Reading the size and then the stored
 * hashes needs no lock: the hashes of every committed size are committed with it. Nothing new
 * since the last checkpoint → that one is returned; two replicas signing the same size at once
 * keep the first (one row per size).
 */
export async function createCheckpoint(db: DbOrTx, signing: CheckpointSigning): Promise<StoredCheckpoint & { created: boolean }> {
  const size = await currentTreeSize(db);
  const latest = await latestCheckpoint(db);
  if (latest && latest.size === size) return { ...latest, created: false };
  const root = await treeHash(size, hashReader(db));
  const note = await signCheckpoint({ origin: signing.origin, size, root }, signing.signer);
  const inserted = await db.insert(auditCheckpoints).values({ size, root: Buffer.from(root), note }).onConflictDoNothing().returning();
  if (inserted[0]) return { ...toCheckpoint(inserted[0]), created: true };
  const [row] = await db.select().from(auditCheckpoints).where(eq(auditCheckpoints.size, size));
  return { ...toCheckpoint(row!), created: false };
}

export async function latestCheckpoint(db: DbOrTx): Promise<StoredCheckpoint | null> {
  const [row] = await db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.size)).limit(1);
  return row ? toCheckpoint(row) : null;
}

function toCheckpoint(row: typeof auditCheckpoints.$inferSelect): StoredCheckpoint {
  return { size: row.size, root: toBytes(row.root), note: row.note, createdAt: row.createdAt };
}

/** Signs a checkpoint every `intervalMs` (and once at start); `stop` waits for a running one. */
export function startCheckpointSchedule(options: { db: DbOrTx; signing: CheckpointSigning; intervalMs: number; logger: Logger }): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = createCheckpoint(options.db, options.signing)
      .then((cp) => {
        if (cp.created) options.logger.info({ size: cp.size }, 'audit checkpoint signed');
      })
      .catch((err: unknown) => options.logger.error({ failure: describeError(err) }, 'could not sign an audit checkpoint'));
  };
  tick();
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
