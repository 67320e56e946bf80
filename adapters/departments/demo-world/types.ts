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
}

export interface DemoHousehold {
  id: string;
  address: string;
  registeredAt: string;
  policeStation: string;
  kind: '农业家庭户' | '非农业家庭户';
  /** The head first. */
  members: DemoMember[];
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

export interface DemoWorld {
  households: DemoHousehold[];
  grassland: DemoGrasslandContract[];
  properties: DemoProperty[];
}
