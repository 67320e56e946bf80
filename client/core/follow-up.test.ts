import { describe, expect, it } from 'vitest';
import { FollowUpError, relatedSubjects } from './follow-up';

const LI = '150627196803120034';
const WIFE = '150627197001010022';
const SON = '150627199002150018';
const COOP = '93150627MA0N2K7P26';

describe('relatedSubjects', () => {
  const records = [
    { category: 'household_members', subject: LI, member_id: LI },
    { category: 'household_members', subject: LI, member_id: WIFE },
    { category: 'household_members', subject: LI, member_id: 'not-an-id' },
    { category: 'enterprises', subject: LI, credit_code: COOP, legal_rep_id: LI, shareholders: [{ holder_id: LI }, { holder_id: SON }, { holder_id: WIFE }] },
    { category: 'real_estate', subject: LI, property_id: 'x' },
  ];
  const parent = [{ kind: 'person' as const, id: LI }];

  it('names the persons and organisations of the chosen categories, once each, without the parent’s subjects or invalid ids', () => {
    expect(relatedSubjects(records, ['household_members'], parent)).toEqual([{ kind: 'person', id: WIFE }]);
    expect(relatedSubjects(records, ['household_members', 'enterprises'], parent)).toEqual([
      { kind: 'person', id: WIFE }, { kind: 'organisation', id: COOP }, { kind: 'person', id: SON },
    ]);
    expect(relatedSubjects(records, ['enterprises'], parent, [SON])).toEqual([{ kind: 'person', id: SON }]);
  });

  it('follows a merger to the absorbing entity and a sale to the buyer', () => {
    const ABSORBING = '93152526MA0R7T2D88';
    const BUYER = '15062719820830943X';
    const sold = [
      { category: 'enterprises', subject: LI, credit_code: COOP, legal_rep_id: LI, merged_into: ABSORBING, shareholders: [{ holder_id: LI }] },
      { category: 'vehicles', subject: LI, owner_id: LI, transferred_to: BUYER },
      // Still in business, still owned: nothing more to follow.
      { category: 'vehicles', subject: LI, owner_id: LI, transferred_to: null },
    ];
    expect(relatedSubjects(sold, ['enterprises', 'vehicles'], parent)).toEqual([
      { kind: 'organisation', id: COOP }, { kind: 'organisation', id: ABSORBING }, { kind: 'person', id: BUYER },
    ]);
    expect(relatedSubjects(sold, ['enterprises'], parent, [ABSORBING])).toEqual([{ kind: 'organisation', id: ABSORBING }]);
  });

  it('refuses a category that names nobody, listing the ones that do', () => {
    expect(() => relatedSubjects(records, ['real_estate'], parent)).toThrow(FollowUpError);
    expect(() => relatedSubjects(records, ['real_estate'], parent)).toThrow(/--from real_estate: no relation to follow in it; categories that name persons or organisations: household, household_members, enterprises/);
  });
});
