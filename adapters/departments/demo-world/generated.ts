import { residentId } from './ids';
import { COMMUNITIES, HAN_GIVEN_F, HAN_GIVEN_M, HAN_SURNAMES, MONGOL_F, MONGOL_M } from './names';
import { BANNERS, bannerByCode, placeName, townCode, type Banner } from './places';
import { createPrng, type Prng } from './prng';
import type { DemoHousehold, DemoMember, DemoPerson, DemoWorld } from './types';

/**
 * Everyone else: ordinary households across the region, generated from a fixed seed so the same
 * people with the same IDs exist on every run. Herding households in pastoral banners hold
 * grassland contracts from the second round of contracting (around 1998, 30 years); many
 * households own a registered home. A few people own property but are registered in no demo
 * household (natural resources only); children and spouses mostly appear in public security only.
 */

const SEED = 20190401; // April 2019: when the Ejin Horo commission found the Muhudunbao case
const HOUSEHOLDS = 16;
/**
 * The wider population, generated after the first households from the same stream (so those keep
 * their IDs): about three thousand people, enough for comparisons to have plausible non-findings.
 */
const POPULATION_HOUSEHOLDS = 880;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const date = (p: Prng, year: number, fromMonth = 1, toMonth = 12) => `${year}-${pad(p.int(fromMonth, toMonth))}-${pad(p.int(1, 28))}`;
const addDays = (iso: string, days: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

interface Ctx {
  p: Prng;
  usedIds: Set<string>;
  usedSerials: Set<string>;
}

function person(ctx: Ctx, division: string, birthDate: string, sex: 'm' | 'f', name: string, ethnicity: DemoPerson['ethnicity']): DemoPerson {
  for (;;) {
    const id = residentId(division, birthDate, ctx.p.int(1, 499) * 2 - (sex === 'm' ? 1 : 0), sex);
    if (!ctx.usedIds.has(id)) {
      ctx.usedIds.add(id);
      return { id, name, sex, ethnicity };
    }
  }
}

function serial(ctx: Ctx, prefix: string, width: number, max: number): string {
  for (;;) {
    const s = `${prefix}${pad(ctx.p.int(1, max), width)}`;
    if (!ctx.usedSerials.has(s)) {
      ctx.usedSerials.add(s);
      return s;
    }
  }
}

function name(p: Prng, sex: 'm' | 'f', mongol: boolean, surname: string): string {
  if (mongol) return p.pick(sex === 'm' ? MONGOL_M : MONGOL_F);
  return surname + p.pick(sex === 'm' ? HAN_GIVEN_M : HAN_GIVEN_F);
}

interface Placement {
  townIndex: number;
  village: string;
}

function household(ctx: Ctx, banner: Banner, index: number, placement?: Placement): { household: DemoHousehold; rural: boolean; village?: string; town: string } {
  const { p } = ctx;
  const townIndex = placement?.townIndex ?? p.int(0, banner.towns.length - 1);
  const town = banner.towns[townIndex]!;
  const rural = placement !== undefined || (town.villages.length > 0 && p.chance(banner.grassland ? 0.8 : 0.6));
  const village = placement?.village ?? (rural ? p.pick(town.villages) : undefined);
  const mongol = banner.grassland !== undefined && p.chance(0.6);
  const ethnicity = mongol ? '蒙古族' : '汉族';
  const surname = p.pick(HAN_SURNAMES);
  const headBirthYear = p.int(1952, 1986);
  const headSex = p.chance(0.85) ? 'm' : 'f';
  const head = person(ctx, banner.code, date(p, headBirthYear), headSex, name(p, headSex, mongol, surname), ethnicity);
  const registeredAt = date(p, Math.max(headBirthYear + p.int(21, 27), 1982));
  // Town codes follow the demo's own numbering (index in places.ts + 100), not the official one;
  // Li's household HH150627-106-0042 uses 106 for Hongqinghe the same way.
  const tc = townCode(banner, townIndex);
  const id = serial(ctx, `HH${banner.code}-${tc}-`, 4, 2999);
  const members: DemoMember[] = [
    { person: head, relation: '户主', joinedAt: registeredAt, movedFrom: p.chance(0.6) ? serial(ctx, `HH${banner.code}-${tc}-`, 4, 2999) : null, movedAt: null },
  ];
  members[0]!.movedAt = members[0]!.movedFrom ? registeredAt : null;

  const spouseSex = headSex === 'm' ? 'f' : 'm';
  const spouseBirthYear = headBirthYear + p.int(-2, 4);
  const spouse = person(ctx, banner.code, date(p, spouseBirthYear), spouseSex, name(p, spouseSex, mongol, p.pick(HAN_SURNAMES)), ethnicity);
  const married = addDays(registeredAt, p.int(30, 400));
  members.push({
    person: spouse, relation: spouseSex === 'f' ? '妻' : '夫', joinedAt: married,
    movedFrom: serial(ctx, `HH${banner.code}-${String(100 + p.int(0, 5))}-`, 4, 2999), movedAt: addDays(married, -p.int(2, 12)),
  });

  const children = p.int(0, 2);
  let sons = 0;
  let daughters = 0;
  for (let c = 0; c < children; c++) {
    const year = Math.min(Number(married.slice(0, 4)) + 1 + c * p.int(2, 4), 2018);
    const sex = p.chance(0.5) ? 'm' : 'f';
    const born = date(p, year);
    const childSurname = headSex === 'm' ? surname : p.pick(HAN_SURNAMES);
    const child = person(ctx, banner.code, born, sex, name(p, sex, mongol, childSurname), ethnicity);
    const order = sex === 'm' ? ['长子', '次子'][sons++] : ['长女', '次女'][daughters++];
    members.push({ person: child, relation: order!, joinedAt: addDays(born, p.int(10, 60)), movedFrom: null, movedAt: null });
  }
  if (index % 5 === 3) {
    // An elderly parent moved in from the countryside: a legitimate move, for contrast.
    const mother = person(ctx, banner.code, date(p, headBirthYear - p.int(22, 30)), 'f', name(p, 'f', mongol, p.pick(HAN_SURNAMES)), ethnicity);
    const moved = date(p, p.int(2008, 2020));
    members.push({ person: mother, relation: '母亲', joinedAt: addDays(moved, p.int(3, 10)), movedFrom: serial(ctx, `HH${banner.code}-${String(100 + p.int(0, 5))}-`, 4, 2999), movedAt: moved });
  }

  const address = rural
    ? `${placeName(banner, town.name, village)}${p.pick(['一', '二', '三', '四'])}社${p.int(1, 60)}号`
    : `${placeName(banner, town.name)}${p.pick(COMMUNITIES)}${p.int(1, 20)}号楼${p.int(1, 4)}单元${p.int(1, 18)}0${p.int(1, 4)}室`;
  const station = `${banner.name}公安局${town.name.replace(/(镇|苏木)$/, '')}派出所`;
  return {
    household: {
      id, address, registeredAt, policeStation: station, kind: rural ? '农业家庭户' : '非农业家庭户', members,
      ...(rural && village ? { village: `${banner.name}${town.name}${village}` } : {}),
    },
    rural, village, town: town.name,
  };
}

export type BaseWorld = Pick<DemoWorld, 'households' | 'grassland' | 'properties'>;

/** `reserved`: IDs taken by hand-written households (the Li family, the planted cases). */
export function generateWorld(reserved: { ids?: readonly string[]; households?: readonly string[] } = {}): BaseWorld {
  const ctx: Ctx = {
    p: createPrng(SEED),
    usedIds: new Set(reserved.ids),
    usedSerials: new Set(['HH150627-106-0042', 'HH150627-106-0187', 'HH150627-106-0203', ...(reserved.households ?? [])]),
  };
  const { p } = ctx;
  const world: BaseWorld = { households: [], grassland: [], properties: [] };
  // Two neighbours of Li in Muhudunbao first, then households across the region.
  const banners = [bannerByCode('150627'), bannerByCode('150627'), ...BANNERS];
  const muhudunbao: Placement = { townIndex: 0, village: '木呼敦包村' };
  const add = (i: number, banner: Banner, placement?: Placement) => {
    const { household: h, rural, village, town } = household(ctx, banner, i, placement);
    world.households.push(h);
    const head = h.members[0]!.person;
    if (rural && banner.grassland && village) {
      const year = p.int(1997, 2002);
      world.grassland.push({
        contractId: `${banner.name}草原承包(${year})第${serial(ctx, '', 4, 1999)}号`, holderId: head.id,
        village: `${banner.name}${town}${village}`, areaMu: p.int(banner.grassland.minMu * 2, banner.grassland.maxMu * 2) / 2,
        contractedAt: date(p, year, 3, 9), termYears: 30, parcelNo: `P${banner.code}-${serial(ctx, '', 5, 99999)}`,
      });
    }
    if (p.chance(rural ? 0.5 : 0.9)) {
      const year = p.int(2015, 2022);
      const owner = p.chance(0.75) ? head : h.members[1]!.person;
      world.properties.push({
        propertyId: `蒙(${year})${banner.name}不动产权第${serial(ctx, '', 7, 40000)}号`, holderId: owner.id,
        address: h.address, areaM2: p.int(600, 2200) / 10, use: rural ? '宅基地/住宅' : '住宅', registeredAt: date(p, year), mortgaged: p.chance(0.3),
      });
    }
  }
  // Owners from elsewhere (Guyang, Dengkou, Togtoh) of flats in the Ejin Horo banner seat.
  for (const division of ['150222', '150822', '150122']) {
    const sex = p.chance(0.5) ? 'm' : 'f';
    const owner = person(ctx, division, date(p, p.int(1965, 1990)), sex, name(p, sex, false, p.pick(HAN_SURNAMES)), '汉族');
    const year = p.int(2016, 2023);
    world.properties.push({
      propertyId: `蒙(${year})伊金霍洛旗不动产权第${serial(ctx, '', 7, 40000)}号`, holderId: owner.id,
      address: `内蒙古自治区鄂尔多斯市伊金霍洛旗阿勒腾席热镇${p.pick(COMMUNITIES)}${p.int(1, 20)}号楼${p.int(1, 4)}单元${p.int(1, 18)}0${p.int(1, 4)}室`,
      areaM2: p.int(700, 1600) / 10, use: '住宅', registeredAt: date(p, year), mortgaged: p.chance(0.5),
    });
  }
  for (let i = HOUSEHOLDS; i < HOUSEHOLDS + POPULATION_HOUSEHOLDS; i++) add(i, BANNERS[i % BANNERS.length]!);
  return world;
}
