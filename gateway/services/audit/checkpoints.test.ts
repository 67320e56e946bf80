import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noteSigner, openCheckpoint, parseVerifierKey, verifierKeyString } from '../../../proto/checkpoint';
import { EMPTY_ROOT } from '../../../proto/merkle';
import type { Database } from '../../db/client';
import { auditCheckpoints } from '../../db/schema';
import { openTestDatabase } from '../../db/testing';
import { createLogger } from '../../logger';
import { appendAudit, createAuditWriter } from './append-audit';
import { startCheckpointSchedule } from './checkpoints';
import { newEd25519PrivateKey } from '../../../proto/node/keys';

const ORIGIN = 'test.qiao/audit';
const signing = { origin: ORIGIN, signer: await noteSigner(ORIGIN, newEd25519PrivateKey().export({ format: 'jwk' })) };

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database?.close());

describe('startCheckpointSchedule', () => {
  it('signs at start and on every tick, keeping every checkpoint', async () => {
    const signed: number[] = [];
    let wake: (() => void) | undefined;
    const logger = createLogger({
      destination: {
        write(line: string) {
          const { msg, size } = JSON.parse(line) as { msg: string; size: number };
          if (msg === 'audit checkpoint signed') {
            signed.push(size);
            wake?.();
          }
        },
      },
    });
    const next = () => new Promise<void>((resolve) => (wake = resolve));
    let waiting = next();
    const schedule = startCheckpointSchedule({ db: database.db, signing, intervalMs: 50, logger });
    await waiting; // the checkpoint of the empty log, at start
    waiting = next();
    await database.db.transaction((tx) =>
      appendAudit(
        tx,
        { action: 'part.failed', inquiryId: randomUUID(), details: { department: 'public_security', partId: randomUUID(), attempts: 1, reason: 'test', warrantId: null } },
        createAuditWriter(randomBytes(32)),
      ),
    );
    await waiting;
    await schedule.stop();

    expect(signed).toEqual([0, 1]);
    const rows = await database.db.select().from(auditCheckpoints).orderBy(auditCheckpoints.size);
    const verifier = parseVerifierKey(verifierKeyString(ORIGIN, signing.signer.publicKey));
    expect(await Promise.all(rows.map(async (r) => (await openCheckpoint(r.note, verifier, ORIGIN)).size))).toEqual([0, 1]);
    expect(Buffer.from((await openCheckpoint(rows[0]!.note, verifier, ORIGIN)).root)).toEqual(Buffer.from(EMPTY_ROOT));
  });
});
