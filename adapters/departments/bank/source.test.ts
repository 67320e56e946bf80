import { describe, expect, it } from 'vitest';
import { createLineWriter, linePrefix, projectedBatches } from '../../kit/project';
import type { SourceRecord } from '../../kit/data-source';
import type { WarrantClaims } from '../../../proto/warrant';
import { LI, MUHUDUNBAO_COOPERATIVE } from '../demo-world/world';
import { BANK_CATEGORIES, createBankSource } from './source';

const cooperative = { kind: 'organisation' as const, id: MUHUDUNBAO_COOPERATIVE };
const li = { kind: 'person' as const, id: LI.id };

/** The lines the kit's projection makes of `lookup`'s records. */
async function projected(source: ReturnType<typeof createBankSource>, subject: typeof li | typeof cooperative, fields: readonly string[]): Promise<string> {
  const line = createLineWriter('bank_transactions', subject, fields);
  let text = '';
  for await (const batch of source.lookup('bank_transactions', subject) as AsyncIterable<SourceRecord[]>) for (const r of batch) text += line(r);
  return text;
}

async function written(source: ReturnType<typeof createBankSource>, subject: typeof li | typeof cooperative, fields: readonly string[]): Promise<{ text: string; records: number }> {
  let text = '';
  let records = 0;
  for await (const batch of source.lookupNdjson!('bank_transactions', subject, fields, linePrefix('bank_transactions', subject))!) {
    text += batch.text;
    records += batch.records;
  }
  return { text, records };
}

describe('the bank writes its transactions as NDJSON itself', () => {
  const source = createBankSource({ volume: { [MUHUDUNBAO_COOPERATIVE]: 1000 } });
  const all = BANK_CATEGORIES.bank_transactions;

  it('byte for byte the lines the kit projects from its records, for any of its fields in any order', async () => {
    // The kit refuses a warrant naming a field the category does not serve (checkScope) before it looks anything up.
    for (const fields of [all, [...all].reverse(), ['memo', 'amount'], ['balance', 'direction', 'txn_id'], ['channel', 'counterparty', 'posted_at', 'account_no'], []]) {
      for (const subject of [cooperative, li]) {
        const mine = await written(source, subject, fields);
        const theirs = await projected(source, subject, fields);
        expect(mine.text).toBe(theirs);
        expect(mine.records).toBe(theirs.split('\n').length - 1);
      }
    }
    expect((await written(source, cooperative, all)).records).toBe(1000);
  });

  it('answers accounts and other categories through lookup, and the kit uses the written lines for transactions', async () => {
    expect(source.lookupNdjson!('bank_accounts', li, BANK_CATEGORIES.bank_accounts, linePrefix('bank_accounts', li))).toBeUndefined();
    const claims = { jti: 'w', subjects: [li], categories: { bank_accounts: ['account_no'], bank_transactions: ['amount', 'memo'] } } as unknown as WarrantClaims;
    let text = '';
    for await (const batch of projectedBatches(claims, source)) text += batch.text;
    const accounts = text.split('\n').filter((l) => l.includes('"bank_accounts"'));
    expect(accounts.length).toBeGreaterThan(0);
    expect(text.endsWith(await projected(source, li, ['amount', 'memo']))).toBe(true);
  });
});
