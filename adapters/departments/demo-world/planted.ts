import { creditCode, residentId } from './ids';
import { GRASSLAND_RATE } from './li-family';
import { monthsBetween } from './records';
import type { DemoAssistance, DemoEnterprise, DemoHousehold, DemoPerson, DemoSubsidy, DemoVehicle, DemoWorld } from './types';

/**
 * Cases planted beside the Li family, at least one per comparison model, with look-alikes that
 * are lawful (the noise a model must not flag). assistance-to-owners has five: a vehicle (巴特尔),
 * an enterprise stake (郝永刚's wife), a second home (贾二虎), a second-hand truck owned during the
 * allowance (苏和), a stake kept through a merger (萨仁); its look-alikes include a wife who left
 * her cooperative (退社) before the allowance. tests in models/ name them by these exports:
 * `PLANTED` are the true findings, `LOOKALIKES` the plausible non-findings.
 */

const who = (division: string, born: string, seq: number, sex: 'm' | 'f', name: string, ethnicity: DemoPerson['ethnicity'] = '汉族'): DemoPerson => ({
  id: residentId(division, born, seq, sex), name, sex, ethnicity,
});
const head = (person: DemoPerson, joinedAt: string) => ({ person, relation: '户主', joinedAt, movedFrom: null, movedAt: null });
const member = (person: DemoPerson, relation: string, joinedAt: string, movedFrom: string | null = null, movedAt: string | null = null) => ({ person, relation, joinedAt, movedFrom, movedAt });

function home(id: string, village: string, address: string, members: DemoHousehold['members'], rural = true): DemoHousehold {
  const banner = village.replace(/^(.*?(旗|县)).*$/, '$1');
  return {
    id, address, registeredAt: members[0]!.joinedAt, policeStation: `${banner}公安局${address.includes('镇') ? address.replace(/^.*?(旗|县)(.*?)镇.*$/, '$2') : ''}派出所`,
    kind: rural ? '农业家庭户' : '非农业家庭户', members, ...(rural ? { village } : {}),
  };
}
const dibao = (caseId: string, recipient: DemoPerson, householdId: string, from: string, to: string | null, monthly: number, rural = true): DemoAssistance => ({
  caseId, programme: rural ? '农村最低生活保障' : '城市最低生活保障', recipientId: recipient.id, recipientName: recipient.name, householdId,
  periodFrom: from, periodTo: to, monthlyAmount: monthly, totalAmount: monthly * monthsBetween(from, to ?? '2020-12-31'), caseWorker: '民政局 07号',
});
const IMAR = '内蒙古自治区';

// 1. Assistance to a household that owns a vehicle: a heavy tractor unit bought the year before the allowance.
const BATER = who('150624', '1975-03-09', 901, 'm', '巴特尔', '蒙古族');
const BATER_WIFE = who('150624', '1977-08-21', 902, 'f', '其木格', '蒙古族');
// 2. …an enterprise: the wife holds 40 % of a trading company that is still in business.
const HAO = who('150621', '1970-10-02', 903, 'm', '郝永刚');
const HAO_WIFE = who('150621', '1972-01-17', 904, 'f', '田桂兰');
// 3. …real estate beyond the home: a flat in Hohhot registered while on the allowance.
const JIA = who('150121', '1966-05-30', 905, 'm', '贾二虎');
// 4. Assistance to a public official's household: the gacha head's wife draws the allowance.
const MENGHE = who('152921', '1973-12-12', 907, 'm', '孟和', '蒙古族');
const MENGHE_WIFE = who('152921', '1976-04-04', 908, 'f', '乌云', '蒙古族');
// 5. A poverty-relief subsidy to a party secretary's household.
const BILIGE = who('150626', '1969-07-19', 909, 'm', '毕力格', '蒙古族');
const BILIGE_SON = who('150626', '1995-02-26', 911, 'm', '额尔敦', '蒙古族');
// 6. Assistance while owning a second-hand dump truck: bought during the allowance, sold on after it.
const SUHE = who('150626', '1976-06-18', 939, 'm', '苏和', '蒙古族');
const SUHE_WIFE = who('150626', '1979-01-25', 940, 'f', '图雅', '蒙古族');
const TRUCK_SELLER = who('150626', '1970-02-14', 941, 'm', '特木尔', '蒙古族');
const TRUCK_BUYER = who('150627', '1982-08-30', 943, 'm', '张志强');
// 7. Assistance while holding a stake in a cooperative that was merged into another: the stake goes on in that one.
const SAREN = who('152526', '1971-10-08', 944, 'f', '萨仁', '蒙古族');
const SAREN_SON = who('152526', '1996-04-12', 945, 'm', '巴雅尔', '蒙古族');
const COOP_A_REP = who('152526', '1968-05-21', 947, 'm', '乌力吉', '蒙古族');
const COOP_B_REP = who('152526', '1965-11-03', 949, 'm', '哈斯巴根', '蒙古族');
// 8. Farmland subsidy paid on in the old household after the recipient moved to town.
const CHEN = who('150523', '1981-09-14', 913, 'm', '陈建军');
const CHEN_BROTHER = who('150523', '1978-02-03', 915, 'm', '陈海军');

// Look-alikes.
const TRICYCLE = who('150425', '1962-11-23', 917, 'm', '王占林'); // allowance + an agricultural tricycle: allowed
const SOLD_CAR = who('150921', '1968-06-06', 919, 'm', '赵玉明'); // allowance after the car was deregistered
const CLOSED_SHOP = who('150123', '1971-03-03', 921, 'm', '刘振华'); // allowance after the shop was closed
const MENGHE_NAMESAKE = who('152526', '1980-09-09', 923, 'm', '孟和', '蒙古族'); // on the allowance; shares only a name with the gacha head
const FORMER_HEAD = who('150725', '1958-01-15', 925, 'm', '敖其尔', '蒙古族'); // gacha head until 2014; allowance from 2018
const LATE_MOVER = who('150523', '1984-04-28', 927, 'm', '马鹏飞'); // moved after the last payment
const NEIGHBOUR = who('150627', '1971-08-08', 929, 'm', '白利军'); // Muhudunbao, 298 mu like the younger son's parcel
const LEFT_COOP = who('150425', '1969-12-02', 951, 'm', '那顺', '蒙古族'); // allowance from 2018; his wife left (退社) her cooperative in 2017
const LEFT_COOP_WIFE = who('150425', '1972-03-16', 952, 'f', '托娅', '蒙古族');
const COOP_C_REP = who('150425', '1972-09-17', 953, 'm', '阿拉坦仓', '蒙古族');
const FATHER = who('150624', '1955-05-05', 931, 'm', '朝鲁', '蒙古族'); // father and son, two parcels of different size, one household
const SON = who('150624', '1986-10-10', 933, 'm', '宝音', '蒙古族');

const OTOG = `${IMAR}鄂尔多斯市鄂托克旗乌兰镇`;
const households: DemoHousehold[] = [
  home('HH150624-100-2901', '鄂托克旗乌兰镇查布嘎查', `${OTOG}查布嘎查二社5号`, [head(BATER, '1999-04-02'), member(BATER_WIFE, '妻', '2000-01-10')]),
  home('HH150621-100-2902', '达拉特旗树林召镇林原村', `${IMAR}鄂尔多斯市达拉特旗树林召镇林原村一社19号`, [head(HAO, '1994-03-01'), member(HAO_WIFE, '妻', '1995-05-20')]),
  home('HH150121-100-2903', '土默特左旗察素齐镇把什村', `${IMAR}呼和浩特市土默特左旗察素齐镇把什村三社7号`, [head(JIA, '1990-09-09')]),
  home('HH152921-100-2904', '阿拉善左旗巴彦浩特镇敖包图嘎查', `${IMAR}阿拉善盟阿拉善左旗巴彦浩特镇敖包图嘎查一社3号`, [head(MENGHE, '1996-06-01'), member(MENGHE_WIFE, '妻', '1998-02-14')]),
  home('HH150626-100-2905', '乌审旗嘎鲁图镇萨如拉嘎查', `${IMAR}鄂尔多斯市乌审旗嘎鲁图镇萨如拉嘎查四社11号`, [head(BILIGE, '1992-10-10'), member(BILIGE_SON, '子', '1995-03-20')]),
  home('HH150523-100-2906', '开鲁县开鲁镇新华村', `${IMAR}通辽市开鲁县开鲁镇新华村二社30号`, [head(CHEN_BROTHER, '2001-03-03')]),
  // Chen moved to town in May 2018; his brother runs the farm. Finance paid on in the old household.
  home('HH150523-100-2907', '开鲁县开鲁镇', `${IMAR}通辽市开鲁县开鲁镇阳光花园4号楼2单元501室`, [member(CHEN, '户主', '2018-05-16', 'HH150523-100-2906', '2018-05-10')], false),
  home('HH150425-100-2911', '克什克腾旗经棚镇永兴村', `${IMAR}赤峰市克什克腾旗经棚镇永兴村一社2号`, [head(TRICYCLE, '1988-08-08')]),
  home('HH150921-100-2912', '卓资县卓资山镇大榆树村', `${IMAR}乌兰察布市卓资县卓资山镇大榆树村三社14号`, [head(SOLD_CAR, '1992-02-02')]),
  home('HH150123-100-2913', '和林格尔县盛乐镇上土城村', `${IMAR}呼和浩特市和林格尔县盛乐镇上土城村二社6号`, [head(CLOSED_SHOP, '1995-07-07')]),
  home('HH152526-100-2914', '西乌珠穆沁旗巴拉嘎尔高勒镇哈日根台嘎查', `${IMAR}锡林郭勒盟西乌珠穆沁旗巴拉嘎尔高勒镇哈日根台嘎查一社9号`, [head(MENGHE_NAMESAKE, '2003-03-03')]),
  home('HH150725-100-2915', '陈巴尔虎旗巴彦库仁镇巴彦哈达嘎查', `${IMAR}呼伦贝尔市陈巴尔虎旗巴彦库仁镇巴彦哈达嘎查二社1号`, [head(FORMER_HEAD, '1980-05-05')]),
  home('HH150523-100-2916', '开鲁县开鲁镇富裕村', `${IMAR}通辽市开鲁县开鲁镇富裕村一社12号`, [head(LATE_MOVER, '2006-06-06')]),
  home('HH150627-106-2917', '伊金霍洛旗红庆河镇木呼敦包村', `${IMAR}鄂尔多斯市伊金霍洛旗红庆河镇木呼敦包村二社16号`, [head(NEIGHBOUR, '1995-04-04')]),
  home('HH150624-100-2918', '鄂托克旗乌兰镇巴音乌苏嘎查', `${OTOG}巴音乌苏嘎查三社4号`, [head(FATHER, '1978-03-03'), member(SON, '子', '1986-11-01')]),
  home('HH150626-100-2920', '乌审旗嘎鲁图镇布日都嘎查', `${IMAR}鄂尔多斯市乌审旗嘎鲁图镇布日都嘎查二社8号`, [head(SUHE, '2000-05-06'), member(SUHE_WIFE, '妻', '2001-03-12')]),
  home('HH152526-100-2921', '西乌珠穆沁旗巴拉嘎尔高勒镇宝日胡舒嘎查', `${IMAR}锡林郭勒盟西乌珠穆沁旗巴拉嘎尔高勒镇宝日胡舒嘎查三社15号`, [head(SAREN, '1994-09-09'), member(SAREN_SON, '子', '1996-05-02')]),
  home('HH150425-100-2922', '克什克腾旗达日罕乌拉苏木巴彦查干嘎查', `${IMAR}赤峰市克什克腾旗达日罕乌拉苏木巴彦查干嘎查一社21号`, [head(LEFT_COOP, '1993-04-04'), member(LEFT_COOP_WIFE, '妻', '1994-10-10')]),
];
// Ma moved to town after the 2020 payment; his wife heads the farm household now.
const LATE_MOVER_TOWN: DemoHousehold = home('HH150523-100-2919', '开鲁县开鲁镇', `${IMAR}通辽市开鲁县开鲁镇团结小区7号楼1单元302室`, [member(LATE_MOVER, '户主', '2020-09-21', 'HH150523-100-2916', '2020-09-15')], false);
households[12] = { ...households[12]!, members: [member(who('150523', '1986-12-01', 935, 'f', '孙海霞'), '户主', '2020-09-15')] };
households.push(LATE_MOVER_TOWN);

const payment = (id: string, programme: DemoSubsidy['programme'], year: number, recipient: DemoPerson, householdId: string, village: string, areaMu: number | null, amount: number, paidAt: string, contractId: string | null = null): DemoSubsidy => ({
  paymentId: id, programme, year, recipientId: recipient.id, recipientName: recipient.name, householdId, village, contractId, declaredAreaMu: areaMu, amount, paidAt,
});
const grass = (h: string, v: string, who_: DemoPerson, contractId: string, area: number, year: number, seq: string) =>
  payment(`CZ${h.slice(2, 8)}-${year}-${seq}`, '草原生态保护补助奖励', year, who_, h, v, area, area * GRASSLAND_RATE, `${year}-11-20`, contractId);
const years = [2016, 2017, 2018, 2019, 2020];
const subsidies: DemoSubsidy[] = [
  payment('CZ150626-2019-990001', '产业扶贫补助', 2019, BILIGE_SON, 'HH150626-100-2905', '乌审旗嘎鲁图镇萨如拉嘎查', null, 5000, '2019-08-12'),
  ...years.map((y) => payment(`CZ150523-${y}-990002`, '耕地地力保护补贴', y, CHEN, 'HH150523-100-2906', '开鲁县开鲁镇新华村', 42, 42 * 65, `${y}-06-20`)),
  ...years.map((y) => payment(`CZ150523-${y}-990003`, '耕地地力保护补贴', y, LATE_MOVER, 'HH150523-100-2916', '开鲁县开鲁镇富裕村', 35, 35 * 65, `${y}-06-18`)),
  ...years.map((y) => grass('HH150627-106-2917', '伊金霍洛旗红庆河镇木呼敦包村', NEIGHBOUR, '伊金霍洛旗草原承包(1998)第0051号', 298, y, '990004')),
  ...years.map((y) => grass('HH150624-100-2918', '鄂托克旗乌兰镇巴音乌苏嘎查', FATHER, '鄂托克旗草原承包(1998)第1207号', 1800, y, '990005')),
  ...years.map((y) => grass('HH150624-100-2918', '鄂托克旗乌兰镇巴音乌苏嘎查', SON, '鄂托克旗草原承包(2016)第1533号', 1200, y, '990006')),
];

const assistance: DemoAssistance[] = [
  dibao('MZ150624-DB-99001', BATER, 'HH150624-100-2901', '2017-07-01', null, 820),
  dibao('MZ150621-DB-99002', HAO, 'HH150621-100-2902', '2018-01-01', null, 790),
  dibao('MZ150121-DB-99003', JIA, 'HH150121-100-2903', '2016-03-01', '2020-12-31', 430),
  dibao('MZ152921-DB-99004', MENGHE_WIFE, 'HH152921-100-2904', '2018-04-01', null, 860),
  dibao('MZ150626-DB-99005', SUHE, 'HH150626-100-2920', '2017-03-01', '2020-12-31', 780),
  dibao('MZ152526-DB-99006', SAREN, 'HH152526-100-2921', '2019-01-01', null, 620),
  dibao('MZ150425-DB-99016', LEFT_COOP, 'HH150425-100-2922', '2018-07-01', null, 450),
  dibao('MZ150425-DB-99011', TRICYCLE, 'HH150425-100-2911', '2017-05-01', null, 410),
  dibao('MZ150921-DB-99012', SOLD_CAR, 'HH150921-100-2912', '2016-05-01', null, 405),
  dibao('MZ150123-DB-99013', CLOSED_SHOP, 'HH150123-100-2913', '2017-01-01', null, 415),
  dibao('MZ152526-DB-99014', MENGHE_NAMESAKE, 'HH152526-100-2914', '2019-02-01', null, 440),
  dibao('MZ150725-DB-99015', FORMER_HEAD, 'HH150725-100-2915', '2018-06-01', null, 450),
];

const vehicle = (plateNo: string, owner: DemoPerson, vehicleType: string, brand: string, registeredAt: string, deregisteredAt: string | null, vin: string): DemoVehicle => ({
  plateNo, ownerId: owner.id, vehicleType, brand, registeredAt, status: deregisteredAt ? '注销' : '正常', deregisteredAt, vin,
  ...(deregisteredAt ? { deregistrationReason: '达到报废标准' } : {}),
});
/** One vehicle through its owners (转移登记): [owner, from] in order, the first from its registration. */
const sold = (plateNo: string, vehicleType: string, brand: string, registeredAt: string, vin: string, owners: [DemoPerson, string][]): DemoVehicle[] =>
  owners.map(([owner, from], i) => {
    const next = owners[i + 1];
    return {
      plateNo, ownerId: owner.id, vehicleType, brand, registeredAt, ...(i > 0 ? { ownedFrom: from } : {}),
      ...(next ? { transferredAt: next[1], transferredTo: next[0].id, status: '转移' as const } : { status: '正常' as const }), deregisteredAt: null, vin,
    };
  });
const trader = creditCode('91', '150621', 'MA0P8R3K');
const closedShop = creditCode('92', '150123', 'MA0L2Q7T');
const mergedCoop = creditCode('93', '152526', 'MA0Q4W8N');
const absorbingCoop = creditCode('93', '152526', 'MA0R7T2D');
const leftCoop = creditCode('93', '150425', 'MA0W3H6K');
const coop = (code: string, name: string, address: string, rep: DemoPerson, establishedAt: string, shareholders: DemoEnterprise['shareholders'], ended?: Pick<DemoEnterprise, 'deregisteredAt' | 'deregistrationReason' | 'mergedInto'>): DemoEnterprise => ({
  creditCode: code, name, kind: '农民专业合作社', legalRepId: rep.id, legalRepName: rep.name, registeredCapital: 100, establishedAt,
  status: ended ? '注销' : '存续', deregisteredAt: null, ...ended, address, shareholders,
});
const stake = (holder: DemoPerson, sharePct: number, since?: string, until?: string) => ({ holderId: holder.id, name: holder.name, sharePct, ...(since ? { since } : {}), ...(until ? { until } : {}) });

export const plantedWorld: DemoWorld = {
  households,
  grassland: [
    { contractId: '伊金霍洛旗草原承包(1998)第0051号', holderId: NEIGHBOUR.id, village: '伊金霍洛旗红庆河镇木呼敦包村', areaMu: 298, contractedAt: '1998-06-20', termYears: 30, parcelNo: 'MHDB-02-0088' },
    { contractId: '鄂托克旗草原承包(1998)第1207号', holderId: FATHER.id, village: '鄂托克旗乌兰镇巴音乌苏嘎查', areaMu: 1800, contractedAt: '1998-07-01', termYears: 30, parcelNo: 'P150624-31207' },
    { contractId: '鄂托克旗草原承包(2016)第1533号', holderId: SON.id, village: '鄂托克旗乌兰镇巴音乌苏嘎查', areaMu: 1200, contractedAt: '2016-04-12', termYears: 12, parcelNo: 'P150624-31533' },
  ],
  properties: [
    { propertyId: '蒙(2003)土默特左旗不动产权第0000312号', holderId: JIA.id, address: households[2]!.address, areaM2: 96, use: '宅基地/住宅', registeredAt: '2003-05-05', mortgaged: false },
    { propertyId: '蒙(2017)呼和浩特市不动产权第0187730号', holderId: JIA.id, address: `${IMAR}呼和浩特市赛罕区祥和苑3号楼2单元1102室`, areaM2: 89.4, use: '住宅', registeredAt: '2017-09-26', mortgaged: true },
  ],
  subsidies,
  assistance,
  enterprises: [
    {
      creditCode: trader, name: '达拉特旗鑫源商贸有限公司', kind: '有限责任公司(自然人投资或控股)', legalRepId: who('150621', '1979-04-14', 937, 'm', '高俊峰').id, legalRepName: '高俊峰',
      registeredCapital: 300, establishedAt: '2015-08-18', status: '存续', deregisteredAt: null, address: '鄂尔多斯市达拉特旗树林召镇民族新村8号',
      shareholders: [{ holderId: who('150621', '1979-04-14', 937, 'm', '高俊峰').id, name: '高俊峰', sharePct: 60 }, { holderId: HAO_WIFE.id, name: HAO_WIFE.name, sharePct: 40 }],
    },
    {
      creditCode: closedShop, name: '和林格尔县盛乐刘振华修理部', kind: '个体工商户', legalRepId: CLOSED_SHOP.id, legalRepName: CLOSED_SHOP.name,
      registeredCapital: 5, establishedAt: '2012-04-01', status: '注销', deregisteredAt: '2016-03-15', deregistrationReason: '个体工商户申请注销', address: '呼和浩特市和林格尔县盛乐镇团结小区2号', shareholders: [],
    },
    // Saren's cooperative was absorbed (吸收合并) in September 2018, before her allowance: her stake went on in the absorbing one.
    coop(mergedCoop, '西乌珠穆沁旗宝日胡舒牧民专业合作社', '锡林郭勒盟西乌珠穆沁旗巴拉嘎尔高勒镇宝日胡舒嘎查', COOP_A_REP, '2014-05-10', [stake(COOP_A_REP, 60), stake(SAREN, 40)], { deregisteredAt: '2018-09-26', deregistrationReason: '因合并注销', mergedInto: absorbingCoop }),
    coop(absorbingCoop, '西乌珠穆沁旗草原兴牧业专业合作社', '锡林郭勒盟西乌珠穆沁旗巴拉嘎尔高勒镇团结小区5号', COOP_B_REP, '2011-08-15', [stake(COOP_B_REP, 55), stake(COOP_A_REP, 27, '2018-09-26'), stake(SAREN, 18, '2018-09-26')]),
    // Toya left (退社) in November 2017; her husband's allowance began in July 2018.
    coop(leftCoop, '克什克腾旗巴彦查干农牧业专业合作社', '赤峰市克什克腾旗达日罕乌拉苏木巴彦查干嘎查', COOP_C_REP, '2013-04-18', [stake(COOP_C_REP, 70), stake(LEFT_COOP_WIFE, 30, '2013-04-18', '2017-11-30')]),
  ],
  vehicles: [
    vehicle('蒙K·8L326', BATER, '重型半挂牵引车', '解放J6P', '2016-09-05', null, 'LFWSRXSJ1G1E39210'),
    vehicle('蒙D·2N517', TRICYCLE, '三轮汽车', '五征', '2014-04-20', null, 'LJ7Y1B2F8E0088712'),
    vehicle('蒙J·5T093', SOLD_CAR, '小型普通客车', '捷达', '2009-10-10', '2015-08-20', 'LFV2A11G093044181'),
    // Bought second-hand in April 2018, during the allowance (2017–2020); sold on in 2021.
    ...sold('蒙K·6C215', '重型自卸货车', '陕汽德龙F3000', '2013-06-11', 'LZGJLDR43DX052376', [[TRUCK_SELLER, '2013-06-11'], [SUHE, '2018-04-16'], [TRUCK_BUYER, '2021-05-20']]),
  ],
  officials: [
    { personId: MENGHE.id, name: MENGHE.name, post: '嘎查村民委员会主任', organ: '阿拉善左旗巴彦浩特镇敖包图嘎查村民委员会', appointedAt: '2015-03-18', leftAt: null },
    { personId: BILIGE.id, name: BILIGE.name, post: '嘎查党支部书记', organ: '乌审旗嘎鲁图镇萨如拉嘎查党支部', appointedAt: '2016-11-02', leftAt: null },
    { personId: FORMER_HEAD.id, name: FORMER_HEAD.name, post: '嘎查村民委员会主任', organ: '陈巴尔虎旗巴彦库仁镇巴彦哈达嘎查村民委员会', appointedAt: '2008-04-10', leftAt: '2014-04-10' },
  ],
};

/** The people each planted case is about (the subjects an investigator would ask about). */
export const PLANTED = {
  assistanceWithVehicle: { recipient: BATER.id, household: 'HH150624-100-2901' },
  assistanceWithEnterprise: { recipient: HAO.id, household: 'HH150621-100-2902', shareholder: HAO_WIFE.id, enterprise: trader },
  assistanceWithRealEstate: { recipient: JIA.id, household: 'HH150121-100-2903' },
  officialHouseholdAssistance: { official: MENGHE.id, recipient: MENGHE_WIFE.id },
  officialHouseholdSubsidy: { official: BILIGE.id, recipient: BILIGE_SON.id },
  assistanceWithUsedTruck: { recipient: SUHE.id, household: 'HH150626-100-2920', plate: '蒙K·6C215' },
  assistanceWithMergedCooperative: { recipient: SAREN.id, household: 'HH152526-100-2921', merged: mergedCoop, mergedInto: absorbingCoop },
  paidAfterLeaving: { recipient: CHEN.id, formerHousehold: 'HH150523-100-2906' },
} as const;

export const LOOKALIKES = {
  assistanceWithTricycle: TRICYCLE.id,
  assistanceAfterCarSold: SOLD_CAR.id,
  assistanceAfterShopClosed: CLOSED_SHOP.id,
  assistanceAfterWifeLeftCooperative: { recipient: LEFT_COOP.id, wife: LEFT_COOP_WIFE.id, cooperative: leftCoop },
  officialNamesake: MENGHE_NAMESAKE.id,
  formerOfficial: FORMER_HEAD.id,
  movedAfterLastPayment: LATE_MOVER.id,
  sameAreaNeighbour: NEIGHBOUR.id,
  fatherAndSonParcels: [FATHER.id, SON.id],
} as const;
