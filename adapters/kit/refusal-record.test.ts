import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRefusalRecorder, peerAddress } from './refusal-record';
import { openServedLog } from './served-log';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function freshLog() {
  const dir = await mkdtemp(join(tmpdir(), 'qiao-refusals-'));
  dirs.push(dir);
  const file = join(dir, 'served.ndjson');
  return { file, log: await openServedLog(file) };
}

describe('refused calls on the served-warrant log', () => {
  it('a flood of garbage adds a line per peer and reason per window, and each distinct warrant id keeps its own line', async () => {
    const { file, log } = await freshLog();
    let t = 0;
    const recorder = createRefusalRecorder(log, { windowMs: 60_000, now: () => t });
    for (let i = 0; i < 5000; i++) await recorder.record({ warrantSha256: `${i}`.padStart(64, '0'), reason: 'warrant_malformed', peer: 'ipv4:10.0.0.9' });
    for (let i = 0; i < 300; i++) await recorder.record({ warrantSha256: 'f'.repeat(64), reason: 'client_not_gateway', peer: 'ipv4:10.0.0.7' });
    for (const jti of ['w-1', 'w-2', 'w-3']) await recorder.record({ warrantSha256: 'a'.repeat(64), reason: 'warrant_expired', peer: 'ipv4:10.0.0.9', jti, inquiryId: 'i-1' });
    await recorder.record({ warrantSha256: 'a'.repeat(64), reason: 'warrant_expired', peer: 'ipv4:10.0.0.9', jti: 'w-1' }); // the same id again: counted
    t += 60_000; // the next window: the counts of the last one are written
    await recorder.record({ warrantSha256: 'b'.repeat(64), reason: 'warrant_malformed', peer: 'ipv4:10.0.0.9' });
    await recorder.flush();
    await log.close();

    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.outcome, l.reason, l.peer, l.jti ?? null, l.count ?? 1])).toEqual([
      ['refused', 'warrant_malformed', 'ipv4:10.0.0.9', null, 1],
      ['refused', 'client_not_gateway', 'ipv4:10.0.0.7', null, 1],
      ['refused', 'warrant_expired', 'ipv4:10.0.0.9', 'w-1', 1],
      ['refused', 'warrant_expired', 'ipv4:10.0.0.9', 'w-2', 1],
      ['refused', 'warrant_expired', 'ipv4:10.0.0.9', 'w-3', 1],
      ['refused', 'warrant_expired', 'ipv4:10.0.0.9', 'w-1', 1], // the first repeat of its peer and reason in the window
      ['refused', 'warrant_malformed', 'ipv4:10.0.0.9', null, 4999],
      ['refused', 'client_not_gateway', 'ipv4:10.0.0.7', null, 299],
      ['refused', 'warrant_malformed', 'ipv4:10.0.0.9', null, 1],
    ]);
    expect(lines.reduce((n, l) => n + (l.count ?? 1), 0)).toBe(5000 + 300 + 4 + 1); // every call accounted for
    // The chain still holds: the log opens again.
    await expect(openServedLog(file)).resolves.toBeDefined();
  });

  it('names the peer by its address, without the port of the connection', () => {
    expect(peerAddress('ipv4:127.0.0.1:53122')).toBe('ipv4:127.0.0.1');
    expect(peerAddress('ipv6:[::1]:53122')).toBe('ipv6:[::1]');
  });
});
