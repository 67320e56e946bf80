import { describe, expect, it } from 'vitest';
import { naturalResourcesDemoSubjectIds } from '../natural-resources';
import { publicSecurityDemoSubjectIds } from '../public-security';
import { generateWorld } from './generated';
import { ADDRESS_NOISE, ADDRESS_VARIANTS, buildDemoWorld, demoWorld, LI, LI_SON_ELDER, LI_SON_YOUNGER, MERGER_NOISE, VEHICLE_NOISE } from './world';

describe('demo world', () => {
  it('is generated identically every time', () => {
    expect(generateWorld()).toEqual(generateWorld());
    // Noise included.
    expect(buildDemoWorld()).toEqual(demoWorld);
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

const died = new Map(demoWorld.households.flatMap((h) => h.members.filter((m) => m.died).map((m) => [m.person.id, m.died!.at] as const)));
const householdOf = new Map(demoWorld.households.flatMap((h) => h.members.map((m) => [m.person.id, h] as const)));

describe('noise: vehicles scrapped or sold', () => {
  const sales = demoWorld.vehicles.filter((v) => v.transferredAt);

  it('a sale ends the seller’s record and starts the buyer’s on the same day, for the same vehicle', () => {
    expect(sales.length).toBeGreaterThanOrEqual(VEHICLE_NOISE.sold + VEHICLE_NOISE.soldBeforeAssistance + VEHICLE_NOISE.boughtAfterAssistance);
    for (const s of sales) {
      expect(s.status, s.plateNo).toBe('转移');
      const bought = demoWorld.vehicles.filter((v) => v.vin === s.vin && v.ownerId === s.transferredTo);
      expect(bought, s.plateNo).toMatchObject([{ plateNo: s.plateNo, ownedFrom: s.transferredAt, registeredAt: s.registeredAt }]);
      expect(s.transferredAt! > (s.ownedFrom ?? s.registeredAt), s.plateNo).toBe(true);
      // Nobody sells or buys after their death.
      for (const id of [s.ownerId, s.transferredTo!]) if (died.has(id)) expect(s.transferredAt! < died.get(id)!, s.plateNo).toBe(true);
    }
  });

  it('a scrapped vehicle is deregistered with its reason, after its registration', () => {
    const scrapped = demoWorld.vehicles.filter((v) => v.status === '注销');
    expect(scrapped.length).toBeGreaterThanOrEqual(VEHICLE_NOISE.scrapped);
    for (const v of scrapped) {
      expect(v.deregistrationReason, v.plateNo).toBeTruthy();
      expect(v.deregisteredAt! > v.registeredAt, v.plateNo).toBe(true);
    }
  });

  it('assisted households sold a car before the allowance or bought one after it: no ownership during the period', () => {
    const around = demoWorld.assistance.flatMap((a) => {
      const members = new Set(householdOf.get(a.recipientId)?.members.map((m) => m.person.id));
      return demoWorld.vehicles.filter((v) => members.has(v.ownerId)).map((v) => ({ a, v }));
    });
    const soldBefore = around.filter(({ a, v }) => v.transferredAt && v.transferredAt < a.periodFrom && v.registeredAt < a.periodFrom);
    const boughtAfter = around.filter(({ a, v }) => a.periodTo && v.ownedFrom && v.ownedFrom > a.periodTo && v.registeredAt < a.periodTo);
    expect(soldBefore.length).toBeGreaterThanOrEqual(VEHICLE_NOISE.soldBeforeAssistance);
    expect(boughtAfter.length).toBeGreaterThanOrEqual(VEHICLE_NOISE.boughtAfterAssistance);
  });
});

describe('noise: enterprises merged or deregistered', () => {
  const byCode = new Map(demoWorld.enterprises.map((e) => [e.creditCode, e]));

  it('every deregistered entity says why; a merged one names the entity in business that absorbed it, whose shareholders its holders became', () => {
    for (const e of demoWorld.enterprises.filter((x) => x.status === '注销')) expect(e.deregistrationReason, e.creditCode).toBeTruthy();
    const merged = demoWorld.enterprises.filter((e) => e.mergedInto);
    expect(merged.length).toBeGreaterThanOrEqual(MERGER_NOISE.merged);
    for (const e of merged) {
      expect(e).toMatchObject({ status: '注销', deregistrationReason: '因合并注销' });
      const into = byCode.get(e.mergedInto!)!;
      expect(into.status, e.creditCode).toBe('存续');
      for (const s of e.shareholders.filter((x) => !died.has(x.holderId))) {
        const kept = into.shareholders.find((x) => x.holderId === s.holderId)!;
        expect(kept, `${s.holderId} in ${into.creditCode}`).toBeDefined();
        expect((kept.since ?? into.establishedAt) <= e.deregisteredAt!).toBe(true);
      }
    }
  });

  it('shares add up to 100 % in every entity with shareholders; a new legal representative is dated', () => {
    for (const e of demoWorld.enterprises.filter((x) => x.shareholders.length)) expect(e.shareholders.reduce((sum, s) => sum + s.sharePct, 0), e.creditCode).toBe(100);
    const changed = demoWorld.enterprises.filter((e) => e.legalRepSince);
    expect(changed.length).toBeGreaterThanOrEqual(MERGER_NOISE.newLegalRep);
    for (const e of changed) expect(e.legalRepSince! > e.establishedAt && e.shareholders.some((s) => s.holderId === e.legalRepId), e.creditCode).toBe(true);
  });
});

describe('noise: the same home written differently', () => {
  const homes = (xs: typeof demoWorld.properties) => xs.filter((x) => x.use === '住宅' || x.use === '宅基地/住宅');

  it('rewrites addresses only in the listed ways: undone, each is its holder’s household address again', () => {
    const undo = (a: string) => a.replaceAll('號', '号').replace(/\s/g, '').replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replaceAll('嘎查', '村');
    const rewritten = demoWorld.properties.filter((x) => householdOf.has(x.holderId) && x.address !== householdOf.get(x.holderId)!.address && /號|[０-９]|\s|村/.test(x.address));
    const same = rewritten.filter((x) => undo(x.address) === undo(householdOf.get(x.holderId)!.address));
    expect(same.length).toBeGreaterThanOrEqual(ADDRESS_NOISE.rewritten / 2);
    // Any 號, full-width digit or space in a registered address is the noise's.
    for (const x of rewritten.filter((r) => /號|[０-９]|\s/.test(r.address))) expect(same, x.address).toContain(x);
    for (const variant of ADDRESS_VARIANTS) expect(variant('内蒙古自治区乌审旗嘎鲁图镇布日都嘎查二社8号')).not.toBe('内蒙古自治区乌审旗嘎鲁图镇布日都嘎查二社8号');
  });

  it('some assisted households have their one home registered twice, written two ways', () => {
    const twice = demoWorld.assistance.filter((a) => {
      const members = new Set(householdOf.get(a.recipientId)!.members.map((m) => m.person.id));
      const own = homes(demoWorld.properties.filter((x) => members.has(x.holderId)));
      return own.length === 2 && own[0]!.address !== own[1]!.address && own.every((x) => x.areaM2 === own[0]!.areaM2);
    });
    expect(twice.length).toBeGreaterThanOrEqual(ADDRESS_NOISE.homeRegisteredTwice);
  });
});
