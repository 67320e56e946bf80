import { creditCode } from './ids';
import type { DemoEnterprise, DemoGrasslandContract, DemoHousehold, DemoPerson, DemoPost, DemoProperty, DemoSubsidy, DemoVehicle, DemoWorld } from './types';

/**
 * The seed report's case (Ejin Horo Banner, 2019): Li (李某), committee director of Muhudunbao
 * village, Hongqinghe town, holds nearly a thousand mu of contracted grassland. His two sons had
 * their own households; in March 2017 he had both moved back into his household, and the
 * grassland already contracted to the sons was contracted again in his name — the same area
 * declared twice for the grassland ecological protection subsidy. Public security holds the moves,
 * natural resources the contracts; neither alone shows the fraud.
 */

export const LI = { id: '150627196803120034', name: '李某', sex: 'm', ethnicity: '汉族' } as const satisfies DemoPerson;
export const LI_WIFE = { id: '150627197001010022', name: '王某兰', sex: 'f', ethnicity: '汉族' } as const satisfies DemoPerson;
export const LI_SON_ELDER = { id: '150627199002150018', name: '李某军', sex: 'm', ethnicity: '汉族' } as const satisfies DemoPerson;
export const LI_SON_YOUNGER = { id: '150627199307080030', name: '李某龙', sex: 'm', ethnicity: '汉族' } as const satisfies DemoPerson;
export const LI_SON_ELDER_WIFE: DemoPerson = { id: '150627199105230045', name: '张某霞', sex: 'f', ethnicity: '汉族' };
const ELDER_CHILD: DemoPerson = { id: '15062720130901001X', name: '李某宇', sex: 'm', ethnicity: '汉族' };
export const LI_SON_YOUNGER_WIFE: DemoPerson = { id: '150627199408120062', name: '刘某娜', sex: 'f', ethnicity: '汉族' };
const YOUNGER_CHILD: DemoPerson = { id: '150627201602110028', name: '李某萱', sex: 'f', ethnicity: '汉族' };

/** 伊金霍洛旗木呼敦包草业专业合作社, a farmers' cooperative (93) Li chairs. */
export const MUHUDUNBAO_COOPERATIVE = creditCode('93', '150627', 'MA0N2K7P');

const VILLAGE = '内蒙古自治区鄂尔多斯市伊金霍洛旗红庆河镇木呼敦包村';
const STATION = '伊金霍洛旗公安局红庆河派出所';
export const LI_HOUSEHOLD = 'HH150627-106-0042';
export const ELDER_SON_HOUSEHOLD = 'HH150627-106-0187';
export const YOUNGER_SON_HOUSEHOLD = 'HH150627-106-0203';

const households: DemoHousehold[] = [
  {
    id: LI_HOUSEHOLD, address: `${VILLAGE}三社12号`, registeredAt: '1988-04-06', policeStation: STATION, kind: '农业家庭户',
    members: [
      { person: LI, relation: '户主', joinedAt: '1988-04-06', movedFrom: 'HH150627-106-0009', movedAt: '1988-04-06' },
      { person: LI_WIFE, relation: '妻', joinedAt: '1989-11-20', movedFrom: 'HH150627-102-0311', movedAt: '1989-11-14' },
      // Both sons had been registered here from birth, left on founding their own households
      // (2012, 2015), and came back on the same day in 2017 — while their families stayed put.
      { person: LI_SON_ELDER, relation: '长子', joinedAt: '2017-03-15', movedFrom: ELDER_SON_HOUSEHOLD, movedAt: '2017-03-08' },
      { person: LI_SON_YOUNGER, relation: '次子', joinedAt: '2017-03-15', movedFrom: YOUNGER_SON_HOUSEHOLD, movedAt: '2017-03-08' },
    ],
  },
  {
    id: ELDER_SON_HOUSEHOLD, address: `${VILLAGE}三社27号`, registeredAt: '2012-10-16', policeStation: STATION, kind: '农业家庭户',
    members: [
      // Head since the elder son left in 2017; the household itself has existed since 2012.
      { person: LI_SON_ELDER_WIFE, relation: '户主', joinedAt: '2012-11-02', movedFrom: 'HH150627-106-0155', movedAt: '2012-10-29' },
      { person: ELDER_CHILD, relation: '子', joinedAt: '2013-09-24', movedFrom: null, movedAt: null },
    ],
  },
  {
    id: YOUNGER_SON_HOUSEHOLD, address: `${VILLAGE}一社8号`, registeredAt: '2015-04-20', policeStation: STATION, kind: '农业家庭户',
    members: [
      { person: LI_SON_YOUNGER_WIFE, relation: '户主', joinedAt: '2015-05-11', movedFrom: 'HH150627-105-0420', movedAt: '2015-05-06' },
      { person: YOUNGER_CHILD, relation: '女', joinedAt: '2016-03-01', movedFrom: null, movedAt: null },
    ],
  },
];

const contract = (holderId: string, year: number, serial: string, areaMu: number, contractedAt: string, termYears: number, parcelNo: string): DemoGrasslandContract => ({
  contractId: `伊金霍洛旗草原承包(${year})第${serial}号`, holderId, village: '伊金霍洛旗红庆河镇木呼敦包村', areaMu, contractedAt, termYears, parcelNo,
});

// The sons' contracts were never cancelled; the 2017 contracts in Li's name cover the same
// parcels (same area, same village, terms ending in the same year 2028).
const grassland: DemoGrasslandContract[] = [
  contract(LI.id, 1998, '0042', 356, '1998-06-20', 30, 'MHDB-03-0112'),
  contract(LI.id, 2017, '0213', 312.5, '2017-05-10', 11, 'MHDB-03-0147'),
  contract(LI.id, 2017, '0214', 298, '2017-05-10', 11, 'MHDB-01-0063'),
  contract(LI_SON_ELDER.id, 2012, '0158', 312.5, '2012-11-26', 16, 'MHDB-03-0147'),
  contract(LI_SON_YOUNGER.id, 2015, '0097', 298, '2015-06-03', 13, 'MHDB-01-0063'),
];

const property = (holderId: string, propertyId: string, address: string, areaM2: number, use: string, registeredAt: string): DemoProperty => ({
  propertyId, holderId, address, areaM2, use, registeredAt, mortgaged: false,
});

// The sons' own homes say where they actually live: not in their father's house.
const properties: DemoProperty[] = [
  property(LI.id, '蒙(2016)伊金霍洛旗不动产权第0004127号', `${VILLAGE}三社12号`, 186.5, '宅基地/住宅', '2016-09-12'),
  property(LI.id, '蒙(2018)伊金霍洛旗不动产权第0011052号', '内蒙古自治区鄂尔多斯市伊金霍洛旗阿勒腾席热镇锦绣苑小区6号楼1单元702室', 142.3, '住宅', '2018-06-21'),
  property(LI_SON_ELDER.id, '蒙(2016)伊金霍洛旗不动产权第0006630号', '内蒙古自治区鄂尔多斯市伊金霍洛旗阿勒腾席热镇康和家园9号楼2单元301室', 98.6, '住宅', '2016-11-02'),
  property(LI_SON_YOUNGER.id, '蒙(2017)伊金霍洛旗不动产权第0002215号', '内蒙古自治区鄂尔多斯市伊金霍洛旗红庆河镇幸福小区2号楼1单元402室', 87.2, '住宅', '2017-01-18'),
  property(MUHUDUNBAO_COOPERATIVE, '蒙(2019)伊金霍洛旗不动产权第0015588号', `${VILLAGE}三社`, 1260, '仓储', '2019-03-28'),
];

/**
 * Finance's roll of the grassland ecological protection subsidy (草原生态保护补助奖励, 草畜平衡奖励
 * at GRASSLAND_RATE yuan per mu and year, one payment per declared contract, each November).
 * The sons' declarations go on in their former households' names after they left them; from 2017
 * Li declares the same parcels again under his new contracts. The roll stops after the 2018
 * payments: the commission found the case in April 2019.
 */
export const GRASSLAND_RATE = 2.5;
const VILLAGE_ROLL = '伊金霍洛旗红庆河镇木呼敦包村';
const pay = (recipient: DemoPerson, householdId: string, contractNo: string, contractYear: number, areaMu: number, year: number, seq: string): DemoSubsidy => ({
  paymentId: `CZ150627-${year}-${seq}`, programme: '草原生态保护补助奖励', year, recipientId: recipient.id, recipientName: recipient.name,
  householdId, village: VILLAGE_ROLL, contractId: `伊金霍洛旗草原承包(${contractYear})第${contractNo}号`, declaredAreaMu: areaMu,
  amount: areaMu * GRASSLAND_RATE, paidAt: `${year}-11-18`,
});
const subsidies: DemoSubsidy[] = [2016, 2017, 2018].flatMap((year) => [
  pay(LI, LI_HOUSEHOLD, '0042', 1998, 356, year, '000421'),
  ...(year >= 2017 ? [pay(LI, LI_HOUSEHOLD, '0213', 2017, 312.5, year, '002131'), pay(LI, LI_HOUSEHOLD, '0214', 2017, 298, year, '002141')] : []),
  pay(LI_SON_ELDER, ELDER_SON_HOUSEHOLD, '0158', 2012, 312.5, year, '001581'),
  pay(LI_SON_YOUNGER, YOUNGER_SON_HOUSEHOLD, '0097', 2015, 298, year, '000971'),
]);

/** Li has been the village committee director since 2011 (organisation department). */
const officials: DemoPost[] = [
  { personId: LI.id, name: LI.name, post: '村民委员会主任', organ: '伊金霍洛旗红庆河镇木呼敦包村民委员会', appointedAt: '2011-01-20', leftAt: null },
];

const enterprises: DemoEnterprise[] = [
  {
    creditCode: MUHUDUNBAO_COOPERATIVE, name: '伊金霍洛旗木呼敦包草业专业合作社', kind: '农民专业合作社', legalRepId: LI.id, legalRepName: LI.name,
    registeredCapital: 200, establishedAt: '2014-05-06', status: '存续', deregisteredAt: null, address: `${VILLAGE}三社`,
    shareholders: [
      { holderId: LI.id, name: LI.name, sharePct: 60 },
      { holderId: LI_SON_ELDER.id, name: LI_SON_ELDER.name, sharePct: 20 },
      { holderId: LI_SON_YOUNGER.id, name: LI_SON_YOUNGER.name, sharePct: 20 },
    ],
  },
];

const vehicles: DemoVehicle[] = [
  { plateNo: '蒙K·7Q352', ownerId: LI.id, vehicleType: '小型普通客车', brand: '丰田普拉多', registeredAt: '2018-07-02', status: '正常', deregisteredAt: null, vin: 'JTEBU3FJ0JK104412' },
  { plateNo: '蒙K·3F861', ownerId: LI_SON_ELDER.id, vehicleType: '小型普通客车', brand: '大众朗逸', registeredAt: '2016-04-11', status: '正常', deregisteredAt: null, vin: 'LSVNV4189G2071634' },
];

export const liFamilyWorld: DemoWorld = { households, grassland, properties, subsidies, assistance: [], enterprises, vehicles, officials };
