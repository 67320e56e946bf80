/** The demo world: facts about people, households and land that each department sees a part of. */

export interface DemoPerson {
  id: string;
  name: string;
  sex: 'm' | 'f';
  ethnicity: '汉族' | '蒙古族';
}

export interface DemoMember {
  person: DemoPerson;
  /** 与户主关系, as the household register writes it: 户主, 妻, 长子, 女, 儿媳 … */
  relation: string;
  /** When the person entered this household (迁入 or birth registration). */
  joinedAt: string;
  /** The household the person moved in from, or null (born here, or founded it). */
  movedFrom: string | null;
  /** When the person was moved out of that household (迁出), or null. */
  movedAt: string | null;
  /** The person died (`at`); the register cancelled the registration (死亡注销) on `cancelledAt`. */
  died?: { at: string; cancelledAt: string };
}

export interface DemoHousehold {
  id: string;
  address: string;
  registeredAt: string;
  policeStation: string;
  kind: '农业家庭户' | '非农业家庭户';
  /** The head first. */
  members: DemoMember[];
  /** Internal: the village (banner + town + village) of a rural household, for the finance roll. */
  village?: string;
}

export interface DemoGrasslandContract {
  contractId: string;
  holderId: string;
  village: string;
  areaMu: number;
  contractedAt: string;
  termYears: number;
  /** Internal to natural resources (never in the catalogue): the parcel on the cadastral map. */
  parcelNo: string;
}

export interface DemoProperty {
  propertyId: string;
  holderId: string;
  address: string;
  areaM2: number;
  use: string;
  registeredAt: string;
  /** Internal to natural resources (never in the catalogue). */
  mortgaged: boolean;
}

/** A payment on finance's subsidy roll (惠农补贴 “一卡通”): one per programme, recipient, contract and year. */
export interface DemoSubsidy {
  paymentId: string;
  programme: '草原生态保护补助奖励' | '耕地地力保护补贴' | '产业扶贫补助';
  year: number;
  recipientId: string;
  recipientName: string;
  /** The household the roll pays, as finance recorded it at declaration (not re-checked later). */
  householdId: string;
  village: string;
  /** The grassland contract the declaration cites (grassland subsidy only). */
  contractId: string | null;
  declaredAreaMu: number | null;
  amount: number;
  paidAt: string;
}

/** A social assistance case of civil affairs (最低生活保障, 特困供养, 临时救助). */
export interface DemoAssistance {
  caseId: string;
  programme: '农村最低生活保障' | '城市最低生活保障' | '特困人员救助供养' | '临时救助';
  recipientId: string;
  recipientName: string;
  householdId: string;
  periodFrom: string;
  /** null while it is still paid. */
  periodTo: string | null;
  monthlyAmount: number;
  totalAmount: number;
  /** Internal to civil affairs: the case worker. */
  caseWorker: string;
}

export interface DemoShareholder {
  holderId: string;
  name: string;
  sharePct: number;
  /** When the stake was acquired; absent: since the entity was established. */
  since?: string;
  /** When the holder left (退股, 退社); absent while the stake is held. */
  until?: string;
}

/** A registered market entity (企业, 农民专业合作社, 个体工商户) of market regulation. */
export interface DemoEnterprise {
  creditCode: string;
  name: string;
  kind: string;
  legalRepId: string;
  legalRepName: string;
  /** When the current legal representative took the role (法定代表人变更); absent: since establishment. */
  legalRepSince?: string;
  /** 万元 */
  registeredCapital: number;
  establishedAt: string;
  status: '存续' | '注销';
  deregisteredAt: string | null;
  /** Why it was deregistered (注销原因): 因合并注销, 决议解散 …; absent while in business. */
  deregistrationReason?: string;
  /** The credit code of the entity it was merged into (吸收合并), when it was. */
  mergedInto?: string;
  address: string;
  shareholders: DemoShareholder[];
}

/**
 * A registered motor vehicle of vehicle administration, as one owner held it: a vehicle sold
 * (转移登记) is one record for the seller (status 转移, `transferredAt`, `transferredTo`) and one
 * for the buyer (`ownedFrom` the day of the transfer); `registeredAt` is the first registration.
 */
export interface DemoVehicle {
  plateNo: string;
  ownerId: string;
  vehicleType: string;
  brand: string;
  registeredAt: string;
  /** When this owner acquired it; absent: at its first registration. */
  ownedFrom?: string;
  /** When this owner sold it, and to whom (a resident ID). */
  transferredAt?: string;
  transferredTo?: string;
  status: '正常' | '注销' | '转移';
  deregisteredAt: string | null;
  /** Why it was deregistered (注销原因): 达到报废标准, 车辆灭失 …; absent while registered. */
  deregistrationReason?: string;
  /** Internal (never in the catalogue). */
  vin: string;
}

/** A post held by a public official (organisation department: 干部任免). */
export interface DemoPost {
  personId: string;
  name: string;
  post: string;
  organ: string;
  appointedAt: string;
  leftAt: string | null;
}

export interface DemoWorld {
  households: DemoHousehold[];
  grassland: DemoGrasslandContract[];
  properties: DemoProperty[];
  subsidies: DemoSubsidy[];
  assistance: DemoAssistance[];
  enterprises: DemoEnterprise[];
  vehicles: DemoVehicle[];
  officials: DemoPost[];
}
