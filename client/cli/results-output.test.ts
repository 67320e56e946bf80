import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ndjsonLinesWriter } from './results-output';

async function written(runs: string[], department = 'bank'): Promise<{ text: string; counts: number[] }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const writer = ndjsonLinesWriter(out);
  const counts = [];
  for (const run of runs) counts.push(await writer.write(department, new TextEncoder().encode(run)));
  await writer.end();
  return { text: Buffer.concat(chunks).toString('utf8'), counts };
}

/** What the command line wrote before it passed lines through: each record parsed, department first. */
const parsedWay = (department: string, runs: string[]) =>
  runs.join('').split('\n').slice(0, -1).map((l) => `${JSON.stringify({ department, ...JSON.parse(l) })}\n`).join('');

describe('ndjsonLinesWriter', () => {
  it('tags each line with the department, byte for byte what parsing and writing {department, ...record} gives', async () => {
    const runs = ['{"category":"bank_transactions","subject":"93150627MA0N2K7P26","memo":"草原生态保护补助奖励","amount":-12.5}\n{"category":"x","n":null}\n', '{"category":"y","nested":{"a":[1,{"b":2}]}}\n'];
    const { text, counts } = await written(runs);
    expect(text).toBe(parsedWay('bank', runs));
    expect(counts).toEqual([2, 1]);
  });

  it('lets a record\'s own department field win, and keeps an empty object an object', async () => {
    const runs = ['{"category":"a","department":"own"}\n{}\n{"category":"b"}\n'];
    const { text, counts } = await written(runs, 'natural_resources');
    expect(text).toBe(parsedWay('natural_resources', runs));
    expect(text.split('\n')[0]).toBe('{"department":"own","category":"a"}');
    expect(counts).toEqual([3]);
  });
});
