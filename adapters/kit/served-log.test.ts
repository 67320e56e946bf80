import { mkdtemp, open, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openServedLog } from './served-log';

const tmpFile = async () => join(await mkdtemp(join(tmpdir(), 'served-log-')), 'served-warrants.ndjson');

describe('served-warrant log', () => {
  it('remembers used warrant ids across a reopen, and not refused ones', async () => {
    const file = await tmpFile();
    const log = await openServedLog(file);
    await log.append({ outcome: 'accepted', jti: 'w-1', warrantSha256: 'a'.repeat(64), inquiryId: 'i-1' });
    await log.append({ outcome: 'served', jti: 'w-1', warrantSha256: 'a'.repeat(64), records: 3, bytes: 100, ciphertextSha256: 'b'.repeat(64) });
    await log.append({ outcome: 'refused', jti: 'w-2', warrantSha256: 'c'.repeat(64), reason: 'warrant_expired' });
    await log.close();

    const reopened = await openServedLog(file);
    expect(reopened.wasUsed('w-1')).toBe(true);
    expect(reopened.wasUsed('w-2')).toBe(false);
    expect(reopened.entries().map((e) => [e.seq, e.outcome])).toEqual([[0, 'accepted'], [1, 'served'], [2, 'refused']]);
    await reopened.close();
  });

  it('serialises concurrent appends into one unbroken chain', async () => {
    const file = await tmpFile();
    const log = await openServedLog(file);
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.append({ outcome: 'accepted', jti: `w-${i}`, warrantSha256: 'a'.repeat(64) })));
    await log.close();
    const reopened = await openServedLog(file);
    expect(reopened.entries()).toHaveLength(50);
    await reopened.close();
  });

  it('writes the appends that wait together, one datasync for them all, each resolved once durable', async () => {
    const file = await tmpFile();
    const log = await openServedLog(file);
    const probe = await open(file, 'r');
    const datasync = vi.spyOn(Object.getPrototypeOf(probe) as { datasync(): Promise<void> }, 'datasync');
    await probe.close();
    try {
      // One goes at once; the 49 that come while it is written go together in the next write.
      const appended = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append({ outcome: 'accepted', jti: `w-${i}`, warrantSha256: 'a'.repeat(64) })));
      expect(appended.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(datasync).toHaveBeenCalledTimes(2);
      // An append made the moment the previous one resolved still gets written (no writer left idle).
      for (let i = 50; i < 55; i++) await log.append({ outcome: 'accepted', jti: `w-${i}`, warrantSha256: 'a'.repeat(64) }).then((e) => log.append({ outcome: 'served', jti: e.jti!, warrantSha256: 'a'.repeat(64), records: 1, bytes: 1, ciphertextSha256: 'b'.repeat(64) }));
    } finally {
      datasync.mockRestore();
    }
    await log.close();
    const reopened = await openServedLog(file);
    expect(reopened.entries()).toHaveLength(60);
    await reopened.close();
    // Once closed, an append fails and says so.
    await expect(log.append({ outcome: 'accepted', jti: 'late', warrantSha256: 'a'.repeat(64) })).rejects.toThrow(/closed/);
  });

  it('refuses to open an edited, reordered or torn log, naming the line', async () => {
    const file = await tmpFile();
    const log = await openServedLog(file);
    for (const jti of ['w-1', 'w-2', 'w-3']) await log.append({ outcome: 'accepted', jti, warrantSha256: 'a'.repeat(64) });
    await log.close();
    const lines = (await readFile(file, 'utf8')).split('\n');

    await writeFile(file, [lines[0], lines[1]!.replace('w-2', 'w-9'), lines[2], ''].join('\n'));
    await expect(openServedLog(file)).rejects.toThrow(/:3: the hash chain is broken/);

    await writeFile(file, [lines[1], lines[0], lines[2], ''].join('\n'));
    await expect(openServedLog(file)).rejects.toThrow(/:1: the hash chain is broken/);

    await writeFile(file, [lines[0], lines[1], lines[2]!.slice(0, 20)].join('\n'));
    await expect(openServedLog(file)).rejects.toThrow(/last line is incomplete/);
  });
});
