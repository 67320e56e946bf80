import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import vector from '../../proto/vectors/served-log-v1.json';
import { openServedLog, type NewServedLogEntry } from './served-log';

/** The kit's served-warrant log against the format's vector, made independently of the kit. */
describe('served-warrant log format (proto/vectors/served-log-v1.json)', () => {
  it('writes the vector byte for byte when the same entries are appended at the same times', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'served-vector-')), 'served.ndjson');
    const times = [...vector.clock];
    const log = await openServedLog(file, () => new Date(times.shift()!));
    for (const entry of vector.appended) await log.append(entry as NewServedLogEntry);
    await log.close();
    expect(await readFile(file, 'utf8')).toBe(vector.file);
  });

  it('opens the vector, chain checked, and remembers the warrant ids it accepted but not the refused one', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'served-vector-')), 'served.ndjson');
    await writeFile(file, vector.file);
    const log = await openServedLog(file);
    expect(log.entries().map((e) => [e.seq, e.outcome, e.prev])).toEqual(
      vector.appended.map((e, i) => [i, e.outcome, i === 0 ? '0'.repeat(64) : vector.lineSha256[i - 1]]),
    );
    expect(log.wasUsed(String(vector.appended[0]!.jti))).toBe(true);
    expect(log.wasUsed(String(vector.appended[3]!.jti))).toBe(true);
    await log.close();
    // One character changed in line 2: line 3 no longer follows it.
    await writeFile(file, vector.file.replace('warrant_expired', 'warrant_expirex'));
    await expect(openServedLog(file)).rejects.toThrow(/:4: the hash chain is broken/);
  });
});
