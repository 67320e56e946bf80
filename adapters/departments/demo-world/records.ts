import { creditCode } from './ids';
import { GRASSLAND_RATE } from './li-family';
import { COMMUNITIES } from './names';
import { BANNERS } from './places';
import { createPrng, type Prng } from './prng';
import type { DemoAssistance, DemoEnterprise, DemoHousehold, DemoPerson, DemoPost, DemoSubsidy, DemoVehicle, DemoWorld } from './types';
import type { BaseWorld } from './generated';

/**
 * What finance, civil affairs, market regulation, vehicle administration and the organisation
 * department know about the generated population: ordinary, lawful records, derived from the
 * households with their own seeded stream (so adding a department's records never moves an ID).
 * The rule the comparisons rely on — nothing here is a finding — is kept by construction:
 * assisted households own nothing but their home, officials' households receive no assistance,
 * and everyone is paid in the household they are registered in.
 */

const SEED = 20190402;
const FARMLAND_RATE = 65; // 耕地地力保护补贴, yuan per mu and year
export const SUBSIDY_YEARS = [2016, 2017, 2018, 2019, 2020] as const;
/** GB 11714 alphabet without I, O, Z, S, V (GB 32100 leaves them out of credit codes). */
export const CODE_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
/** Number-plate prefix (号牌) of each league's vehicle administration. */
export const PLATE: Record<string, string> = {
  '1501': '蒙A', '1502': '蒙B', '1503': '蒙C', '1504': '蒙D', '1505': '蒙G', '1506': '蒙K',
  '1507': '蒙E', '1508': '蒙L', '1509': '蒙J', '1522': '蒙F', '1525': '蒙H', '1529': '蒙M',
};
export const CARS = [['小型普通客车', '大众朗逸'], ['小型普通客车', '长城哈弗H6'], ['小型越野客车', '丰田普拉多'], ['轻型普通货车', '福田奥铃'], ['小型普通客车', '五菱宏光'], ['重型半挂牵引车', '解放J6P']] as const;
const TRADES = ['商贸有限公司', '牧业有限公司', '建材有限公司', '运输有限公司', '餐饮管理有限公司', '农牧业专业合作社'] as const;
const SHOP = ['修理部', '百货超市', '饭店', '草料经销部'] as const;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const bannerOf = (h: DemoHousehold) => BANNERS.find((b) => b.code === h.id.slice(2, 8))!;

export function unique(p: Prng, used: Set<string>, make: () => string): string {
  for (;;) {
    const v = make();
    if (!used.has(v)) {
      used.add(v);
      return v;
    }
  }
}

export function deriveRecords(base: BaseWorld): Omit<DemoWorld, keyof BaseWorld> {
  const p = createPrng(SEED);
  const subsidies: DemoSubsidy[] = [];
  const assistance: DemoAssistance[] = [];
  const enterprises: DemoEnterprise[] = [];
  const vehicles: DemoVehicle[] = [];
  const officials: DemoPost[] = [];
  const used = new Set<string>();
  const householdOf = new Map<string, DemoHousehold>();
  for (const h of base.households) for (const m of h.members) householdOf.set(m.person.id, h);
  const owners = new Set(base.properties.map((x) => x.holderId));

  // Finance: grassland subsidy per contract and year, paid to the contractor's household.
  for (const c of base.grassland) {
    const h = householdOf.get(c.holderId);
    if (!h) continue;
    const holder = h.members.find((m) => m.person.id === c.holderId)!.person;
    for (const year of SUBSIDY_YEARS) {
      subsidies.push({
        paymentId: unique(p, used, () => `CZ${h.id.slice(2, 8)}-${year}-${pad(p.int(1, 999_999), 6)}`), programme: '草原生态保护补助奖励', year,
        recipientId: holder.id, recipientName: holder.name, householdId: h.id, village: c.village, contractId: c.contractId,
        declaredAreaMu: c.areaMu, amount: c.areaMu * GRASSLAND_RATE, paidAt: `${year}-11-${pad(p.int(10, 28))}`,
      });
    }
  }
  // Farmland subsidy for farming households of the farming banners (no contract cited: the roll holds the area).
  const rural = base.households.filter((h) => h.village);
  for (const h of rural.filter((x) => !bannerOf(x).grassland)) {
    const head = h.members[0]!.person;
    const area = p.int(20, 120) / 2;
    for (const year of SUBSIDY_YEARS) {
      subsidies.push({
        paymentId: unique(p, used, () => `CZ${h.id.slice(2, 8)}-${year}-${pad(p.int(1, 999_999), 6)}`), programme: '耕地地力保护补贴', year,
        recipientId: head.id, recipientName: head.name, householdId: h.id, village: h.village!, contractId: null,
        declaredAreaMu: area, amount: area * FARMLAND_RATE, paidAt: `${year}-06-${pad(p.int(10, 28))}`,
      });
    }
  }

  // Civil affairs: minimum living allowance for about one household in sixteen that owns nothing.
  const assisted = new Set<DemoHousehold>();
  for (const h of base.households) {
    if (h.members.some((m) => owners.has(m.person.id)) || !p.chance(0.065)) continue;
    assisted.add(h);
    const head = h.members[0]!.person;
    const from = `${p.int(2014, 2019)}-${pad(p.int(1, 12))}-01`;
    const ended = p.chance(0.3);
    const to = ended ? `${Number(from.slice(0, 4)) + p.int(1, 3)}-12-31` : null;
    const monthly = h.members.length * (h.village ? p.int(380, 460) : p.int(560, 690));
    const months = monthsBetween(from, to ?? '2020-12-31');
    assistance.push({
      caseId: unique(p, used, () => `MZ${h.id.slice(2, 8)}-DB-${pad(p.int(1, 99_999), 5)}`), programme: h.village ? '农村最低生活保障' : '城市最低生活保障',
      recipientId: head.id, recipientName: head.name, householdId: h.id, periodFrom: from, periodTo: to, monthlyAmount: monthly,
      totalAmount: monthly * months, caseWorker: `${bannerOf(h).name}民政局 ${pad(p.int(1, 40))}号`,
    });
  }
  // Finance: a poverty-relief grant (产业扶贫补助) in 2019 to about half the rural assisted households.
  for (const h of assisted) {
    if (!h.village || !p.chance(0.5)) continue;
    const head = h.members[0]!.person;
    subsidies.push({
      paymentId: unique(p, used, () => `CZ${h.id.slice(2, 8)}-2019-${pad(p.int(1, 999_999), 6)}`), programme: '产业扶贫补助', year: 2019,
      recipientId: head.id, recipientName: head.name, householdId: h.id, village: h.village, contractId: null, declaredAreaMu: null,
      amount: p.int(3, 10) * 1000, paidAt: `2019-${pad(p.int(5, 10))}-${pad(p.int(1, 28))}`,
    });
  }
  const free = base.households.filter((h) => !assisted.has(h));

  // Vehicle administration: about four households in ten own a vehicle.
  for (const h of free) {
    if (!p.chance(0.4)) continue;
    const owner = h.members[p.chance(0.8) ? 0 : 1]!.person;
    const [vehicleType, brand] = p.pick(CARS);
    const plate = PLATE[h.id.slice(2, 6)] ?? '蒙A';
    vehicles.push({
      plateNo: unique(p, used, () => `${plate}·${p.pick([...CODE_CHARS.slice(10)])}${pad(p.int(0, 9999), 4)}`), ownerId: owner.id, vehicleType, brand,
      registeredAt: `${p.int(2008, 2020)}-${pad(p.int(1, 12))}-${pad(p.int(1, 28))}`, status: '正常', deregisteredAt: null,
      vin: unique(p, used, () => `L${Array.from({ length: 16 }, () => p.pick([...CODE_CHARS])).join('')}`),
    });
  }

  // Market regulation: a few hundred companies, cooperatives and sole traders, run by adults of households without assistance.
  const adults = free.flatMap((h) => h.members.slice(0, 2).map((m) => ({ person: m.person, h })));
  for (let i = 0; i < 320; i++) {
    const rep = p.pick(adults);
    const banner = bannerOf(rep.h);
    const kind = p.chance(0.3) ? '个体工商户' : p.chance(0.2) ? '农民专业合作社' : '有限责任公司(自然人投资或控股)';
    const type = kind === '个体工商户' ? '92' : kind === '农民专业合作社' ? '93' : '91';
    const code = unique(p, used, () => creditCode(type, banner.code, Array.from({ length: 8 }, () => p.pick([...CODE_CHARS])).join('')));
    const partners = kind === '个体工商户' ? [] : Array.from({ length: p.int(0, 2) }, () => p.pick(adults).person).filter((x) => x.id !== rep.person.id);
    const shareholders = kind === '个体工商户' ? [] : shares(p, [rep.person, ...new Map(partners.map((x) => [x.id, x])).values()]);
    const established = `${p.int(2005, 2020)}-${pad(p.int(1, 12))}-${pad(p.int(1, 28))}`;
    const closed = p.chance(0.15);
    const town = p.pick(banner.towns).name;
    enterprises.push({
      creditCode: code, name: kind === '个体工商户' ? `${banner.name}${town.replace(/(镇|苏木)$/, '')}${rep.person.name}${p.pick(SHOP)}` : `${banner.name}${p.pick(['兴', '富', '宏', '鑫', '蒙', '草原', '金', '瑞'])}${p.pick(['达', '源', '泰', '丰', '盛', '隆'])}${p.pick(TRADES)}`,
      kind, legalRepId: rep.person.id, legalRepName: rep.person.name, registeredCapital: kind === '个体工商户' ? p.int(1, 20) : p.int(10, 500) * 10,
      establishedAt: established, status: closed ? '注销' : '存续', deregisteredAt: closed ? `${Math.min(Number(established.slice(0, 4)) + p.int(1, 8), 2021)}-${pad(p.int(1, 12))}-${pad(p.int(1, 28))}` : null,
      address: `${banner.league}${banner.name}${town}${p.pick(COMMUNITIES)}${p.int(1, 30)}号`, shareholders,
    });
  }

  // Organisation department: each village's committee director and party secretary, from households without assistance.
  const byVillage = new Map<string, DemoHousehold[]>();
  for (const h of free) if (h.village) byVillage.set(h.village, [...(byVillage.get(h.village) ?? []), h]);
  for (const [village, households] of byVillage) {
    const gacha = village.endsWith('嘎查');
    const posts = village.endsWith('木呼敦包村') ? ['村党支部书记'] : [gacha ? '嘎查村民委员会主任' : '村民委员会主任', gacha ? '嘎查党支部书记' : '村党支部书记'];
    const picked = new Set<DemoHousehold>();
    for (const post of posts) {
      const h = p.pick(households);
      if (picked.has(h)) continue;
      picked.add(h);
      const head = h.members[0]!.person;
      officials.push({
        personId: head.id, name: head.name, post, organ: `${village}${post.includes('党') ? '党支部' : gacha ? '嘎查村民委员会' : '村民委员会'}`,
        appointedAt: `${p.int(2008, 2018)}-${pad(p.int(1, 12))}-${pad(p.int(1, 28))}`, leftAt: null,
      });
    }
  }
  return { subsidies, assistance, enterprises, vehicles, officials };
}

function shares(p: Prng, people: DemoPerson[]) {
  if (people.length === 1) return [{ holderId: people[0]!.id, name: people[0]!.name, sharePct: 100 }];
  const first = p.int(51, 80);
  const rest = people.slice(1);
  return [
    { holderId: people[0]!.id, name: people[0]!.name, sharePct: first },
    ...rest.map((x, i) => ({ holderId: x.id, name: x.name, sharePct: i === rest.length - 1 ? 100 - first - Math.floor((100 - first) / rest.length) * i : Math.floor((100 - first) / rest.length) })),
  ];
}

export function monthsBetween(from: string, to: string): number {
  const [fy, fm] = [Number(from.slice(0, 4)), Number(from.slice(5, 7))];
  const [ty, tm] = [Number(to.slice(0, 4)), Number(to.slice(5, 7))];
  return (ty - fy) * 12 + (tm - fm) + 1;
}
