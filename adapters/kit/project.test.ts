import { describe, expect, it } from 'vitest';
import vector from '../../proto/vectors/warrant-v1.json';
import { WarrantClaims } from '../../proto/warrant';
import type { DataSource } from './data-source';
import { assertValidSource } from './data-source';
import { collectRecords, createLineWriter, projectedBatches, projectRecord } from './project';
import { Refusal } from './refusal';

const li = { kind: 'person' as const, id: '150627196803120034' };

describe('projectRecord', () => {
  it('keeps exactly the named fields in warrant order, adds category and subject, fills gaps with null', () => {
    const projected = projectRecord('household', li, ['head_id', 'address', 'registered_at'], {
      address: 'A',
      head_id: li.id,
      police_station: 'internal',
      registered_at: undefined,
    });
    expect(projected).toEqual({ category: 'household', subject: li.id, head_id: li.id, address: 'A', registered_at: null });
    expect(Object.keys(projected)).toEqual(['category', 'subject', 'head_id', 'address', 'registered_at']);
  });

  it('does not let a record override category or subject, nor read inherited properties', () => {
    const sneaky = Object.assign(Object.create({ address: 'inherited' }), { category: 'other', subject: 'x' });
    expect(projectRecord('household', li, ['address'], sneaky)).toEqual({ category: 'household', subject: li.id, address: null });
  });
});

describe('createLineWriter', () => {
  it('writes the same NDJSON line as stringifying the projected record', () => {
    const fields = ['head_id', 'address', 'registered_at', 'moves', 'area', 'flag'];
    const line = createLineWriter('household', li, fields);
    const records = [
      { address: 'A "quoted" \\ \n 木呼敦包村', head_id: li.id, police_station: 'internal', registered_at: undefined },
      { moves: [{ from: 'x', at: new Date(Date.UTC(2017, 2, 15)) }], area: 966.5, flag: false, address: null },
      Object.assign(Object.create({ address: 'inherited' }), { category: 'other', subject: 'x', area: -0, flag: true }),
      {},
    ];
    for (const record of records) expect(line(record)).toBe(`${JSON.stringify(projectRecord('household', li, fields, record))}\n`);
  });

  it('writes the same lines whether a field’s strings repeat (served from its cache) or never do (the cache given up)', () => {
    const fields = ['channel', 'txn_id', 'memo'];
    const line = createLineWriter('bank_transactions', li, fields);
    const channels = ['柜面', '网银', 'POS "x"', '\u2028'];
    for (let i = 0; i < 2000; i++) {
      // memo repeats from a list longer than the cache holds; txn_id never repeats; channel sometimes is not a string.
      const record = { channel: i % 7 === 0 ? i : channels[i % channels.length], txn_id: `t${i}`, memo: `m${i % 300}` };
      expect(line(record)).toBe(`${JSON.stringify(projectRecord('bank_transactions', li, fields, record))}\n`);
    }
  });

  it('writes null for a value JSON cannot hold, as for a missing one', () => {
    expect(JSON.parse(createLineWriter('household', li, ['address'])({ address: () => 1 }))).toEqual({ category: 'household', subject: li.id, address: null });
  });
});

describe('projectedBatches', () => {
  const claims = WarrantClaims.parse({ ...vector.claims, subjects: [li], categories: { bank_transactions: ['txn_id'] } });

  it('turns each batch a source yields into NDJSON text with its record count, skipping empty batches', async () => {
    const source: DataSource = {
      categories: { bank_transactions: ['txn_id'] },
      lookup: async function* () {
        yield [{ txn_id: 't1', teller: 'internal' }, { txn_id: 't2' }];
        yield [];
        yield [{ txn_id: 't3' }];
      },
    };
    const batches = [];
    for await (const batch of projectedBatches(claims, source)) batches.push(batch);
    const line = (id: string) => `${JSON.stringify({ category: 'bank_transactions', subject: li.id, txn_id: id })}\n`;
    expect(batches).toEqual([{ text: line('t1') + line('t2'), records: 2 }, { text: line('t3'), records: 1 }]);
  });

  it('turns a failure of the source mid-stream into a source_failed refusal, and stops a source the reader leaves', async () => {
    let stopped = false;
    const failing: DataSource = {
      categories: { bank_transactions: ['txn_id'] },
      lookup: async function* () {
        yield [{ txn_id: 't1' }];
        throw new Error('disk gone');
      },
    };
    const it = projectedBatches(claims, failing);
    await it.next();
    await expect(it.next()).rejects.toSatisfy((e) => e instanceof Refusal && e.code === 'source_failed');
    const endless: DataSource = {
      categories: { bank_transactions: ['txn_id'] },
      lookup: async function* () {
        try {
          for (;;) yield [{ txn_id: 't' }];
        } finally {
          stopped = true;
        }
      },
    };
    const reader = projectedBatches(claims, endless);
    await reader.next();
    await reader.return(undefined);
    expect(stopped).toBe(true);
  });
});

describe('collectRecords', () => {
  const claims = WarrantClaims.parse({
    ...vector.claims,
    subjects: [li, { kind: 'person', id: '150627199002150018' }, li],
    categories: { household: ['address'], household_members: ['name'] },
  });

  it('looks up each distinct subject in each category, subject-major', async () => {
    const calls: string[] = [];
    const source: DataSource = {
      categories: { household: ['address'], household_members: ['name'] },
      lookup: async (category, subject) => {
        calls.push(`${subject.id}/${category}`);
        return [{ address: 'A', name: 'N' }];
      },
    };
    const records = await collectRecords(claims, source);
    expect(calls).toEqual([
      '150627196803120034/household',
      '150627196803120034/household_members',
      '150627199002150018/household',
      '150627199002150018/household_members',
    ]);
    expect(records[1]).toEqual({ category: 'household_members', subject: li.id, name: 'N' });
  });

  it('turns a source failure into a source_failed refusal', async () => {
    const source: DataSource = { categories: { household: ['address'] }, lookup: () => Promise.reject(new Error('down')) };
    await expect(collectRecords(claims, source)).rejects.toSatisfy((e) => e instanceof Refusal && e.code === 'source_failed');
  });
});

describe('assertValidSource', () => {
  it('refuses sources with no categories, empty categories or reserved field names', () => {
    const lookup = async () => [];
    expect(() => assertValidSource({ categories: {}, lookup })).toThrow(/no categories/);
    expect(() => assertValidSource({ categories: { a: [] }, lookup })).toThrow(/no fields/);
    expect(() => assertValidSource({ categories: { a: ['subject'] }, lookup })).toThrow(/reserved/);
  });
});
