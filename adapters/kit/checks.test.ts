import type { PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import vector from '../../proto/vectors/warrant-v1.json';
import { WarrantClaims } from '../../proto/warrant';
import { checkClientIdentity, checkScope, MAX_WARRANT_SUBJECTS } from './checks';
import { Refusal } from './refusal';

const peer = (subjectaltname: string | undefined, CN: string) => ({ subject: { CN }, subjectaltname }) as unknown as PeerCertificate;

function refusalOf(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (error) {
    if (error instanceof Refusal) return error.code;
    throw error;
  }
}

describe('checkClientIdentity', () => {
  it("accepts the gateway's DNS name among the SANs", () => {
    expect(refusalOf(() => checkClientIdentity(peer('DNS:gateway.qiao.internal', 'gateway.qiao.internal')))).toBeNull();
    expect(refusalOf(() => checkClientIdentity(peer('DNS:other.example, DNS:gateway.qiao.internal', 'x')))).toBeNull();
  });

  it('lets the SAN decide when there is one, whatever the CN says', () => {
    expect(refusalOf(() => checkClientIdentity(peer('DNS:public-security.department.qiao.internal', 'gateway.qiao.internal')))).toBe(
      'client_not_gateway',
    );
    expect(refusalOf(() => checkClientIdentity(peer('IP Address:127.0.0.1', 'gateway.qiao.internal')))).toBe('client_not_gateway');
  });

  it('falls back to the CN only without any SAN', () => {
    expect(refusalOf(() => checkClientIdentity(peer(undefined, 'gateway.qiao.internal')))).toBeNull();
    expect(refusalOf(() => checkClientIdentity(peer(undefined, 'gateway.qiao.internal.evil')))).toBe('client_not_gateway');
  });

  it('refuses a missing peer certificate and near-miss names', () => {
    expect(refusalOf(() => checkClientIdentity(undefined))).toBe('client_not_gateway');
    expect(refusalOf(() => checkClientIdentity(peer('DNS:gateway.qiao.internal.evil.example', 'x')))).toBe('client_not_gateway');
    expect(refusalOf(() => checkClientIdentity(peer('DNS:*.qiao.internal', 'x')))).toBe('client_not_gateway');
  });
});

describe('checkScope', () => {
  const claims = WarrantClaims.parse(vector.claims);
  const served = {
    household: ['household_id', 'address', 'registered_at', 'head_id', 'relation_to_head'],
    household_members: ['member_id', 'name', 'relation_to_head', 'joined_at', 'moved_from', 'moved_at'],
  };

  it('accepts a warrant within what the department serves', () => {
    expect(refusalOf(() => checkScope(claims, served))).toBeNull();
  });

  it('refuses unserved categories, including inherited object keys', () => {
    expect(refusalOf(() => checkScope({ ...claims, categories: { vehicles: ['plate'] } }, served))).toBe('category_not_served');
    expect(refusalOf(() => checkScope({ ...claims, categories: { constructor: ['name'] } }, served))).toBe('category_not_served');
  });

  it('refuses fields outside the category', () => {
    expect(refusalOf(() => checkScope({ ...claims, categories: { household: ['address', 'police_station'] } }, served))).toBe(
      'field_not_in_category',
    );
  });

  it(`allows ${MAX_WARRANT_SUBJECTS} subjects and refuses one more`, () => {
    const subjects = (n: number) => Array.from({ length: n }, () => claims.subjects[0]!);
    expect(refusalOf(() => checkScope({ ...claims, subjects: subjects(MAX_WARRANT_SUBJECTS) }, served))).toBeNull();
    expect(refusalOf(() => checkScope({ ...claims, subjects: subjects(MAX_WARRANT_SUBJECTS + 1) }, served))).toBe('too_many_subjects');
  });
});
