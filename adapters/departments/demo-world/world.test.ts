import { describe, expect, it } from 'vitest';
import { naturalResourcesDemoSubjectIds } from '../natural-resources';
import { publicSecurityDemoSubjectIds } from '../public-security';
import { generateWorld } from './generated';
import { LI, LI_SON_ELDER, LI_SON_YOUNGER } from './world';

describe('demo world', () => {
  it('is generated identically every time', () => {
    expect(generateWorld()).toEqual(generateWorld());
  });

  it('has people known to both departments: the Li family and others across several banners', () => {
    const both = publicSecurityDemoSubjectIds.filter((id) => naturalResourcesDemoSubjectIds.includes(id));
    expect(both).toEqual(expect.arrayContaining([LI.id, LI_SON_ELDER.id, LI_SON_YOUNGER.id]));
    expect(both.length).toBeGreaterThanOrEqual(12);
    expect(new Set(both.map((id) => id.slice(0, 6))).size).toBeGreaterThanOrEqual(8);
  });

  it('also has people known to only one of them', () => {
    expect(publicSecurityDemoSubjectIds.some((id) => !naturalResourcesDemoSubjectIds.includes(id))).toBe(true);
    expect(naturalResourcesDemoSubjectIds.some((id) => !publicSecurityDemoSubjectIds.includes(id))).toBe(true);
  });
});
