/**
 * Real banners and counties of Inner Mongolia (GB/T 2260 codes) with real town names. Villages
 * (嘎查 in pastoral areas, 村 in farming areas) are common names, not claims about a real place;
 * Muhudunbao village (木呼敦包村) of Hongqinghe town is the one from the seed report.
 */
export interface Banner {
  code: string;
  league: string;
  name: string;
  /** Pastoral banners contract out grassland; mu per household varies a lot across the region. */
  grassland?: { minMu: number; maxMu: number };
  towns: { name: string; villages: string[] }[];
}

export const REGION = '内蒙古自治区';

export const BANNERS: readonly Banner[] = [
  { code: '150121', league: '呼和浩特市', name: '土默特左旗', towns: [{ name: '察素齐镇', villages: ['西营村', '把什村'] }] },
  { code: '150123', league: '呼和浩特市', name: '和林格尔县', towns: [{ name: '盛乐镇', villages: ['上土城村', '台基营村'] }] },
  {
    code: '150223', league: '包头市', name: '达尔罕茂明安联合旗', grassland: { minMu: 2500, maxMu: 6000 },
    towns: [{ name: '百灵庙镇', villages: ['巴音敖包嘎查'] }, { name: '希拉穆仁镇', villages: ['红格尔塔拉嘎查'] }],
  },
  {
    code: '150425', league: '赤峰市', name: '克什克腾旗', grassland: { minMu: 800, maxMu: 3000 },
    towns: [{ name: '经棚镇', villages: ['永兴村'] }, { name: '达日罕乌拉苏木', villages: ['巴彦查干嘎查'] }],
  },
  { code: '150523', league: '通辽市', name: '开鲁县', towns: [{ name: '开鲁镇', villages: ['新华村', '富裕村'] }] },
  {
    code: '150621', league: '鄂尔多斯市', name: '达拉特旗', grassland: { minMu: 200, maxMu: 900 },
    towns: [{ name: '树林召镇', villages: ['林原村', '乌兰村'] }],
  },
  {
    code: '150624', league: '鄂尔多斯市', name: '鄂托克旗', grassland: { minMu: 1500, maxMu: 5000 },
    towns: [{ name: '乌兰镇', villages: ['查布嘎查', '巴音乌苏嘎查'] }],
  },
  {
    code: '150626', league: '鄂尔多斯市', name: '乌审旗', grassland: { minMu: 600, maxMu: 2500 },
    towns: [{ name: '嘎鲁图镇', villages: ['萨如拉嘎查', '布日都嘎查'] }],
  },
  {
    code: '150627', league: '鄂尔多斯市', name: '伊金霍洛旗', grassland: { minMu: 200, maxMu: 700 },
    towns: [
      { name: '红庆河镇', villages: ['木呼敦包村', '巴嘎淖村', '查干淖尔村'] },
      { name: '札萨克镇', villages: ['新庙村', '门克庆村'] },
      { name: '阿勒腾席热镇', villages: [] },
    ],
  },
  {
    code: '150725', league: '呼伦贝尔市', name: '陈巴尔虎旗', grassland: { minMu: 3000, maxMu: 9000 },
    towns: [{ name: '巴彦库仁镇', villages: ['巴彦哈达嘎查'] }],
  },
  {
    code: '150823', league: '巴彦淖尔市', name: '乌拉特前旗', grassland: { minMu: 1000, maxMu: 4000 },
    towns: [{ name: '乌拉山镇', villages: ['沙德格嘎查'] }],
  },
  { code: '150921', league: '乌兰察布市', name: '卓资县', towns: [{ name: '卓资山镇', villages: ['大榆树村'] }] },
  {
    code: '152526', league: '锡林郭勒盟', name: '西乌珠穆沁旗', grassland: { minMu: 3000, maxMu: 8000 },
    towns: [{ name: '巴拉嘎尔高勒镇', villages: ['宝日胡舒嘎查', '哈日根台嘎查'] }],
  },
  {
    code: '152921', league: '阿拉善盟', name: '阿拉善左旗', grassland: { minMu: 2000, maxMu: 9000 },
    towns: [{ name: '巴彦浩特镇', villages: ['敖包图嘎查'] }],
  },
];

export function bannerByCode(code: string): Banner {
  const banner = BANNERS.find((b) => b.code === code);
  if (!banner) throw new Error(`no demo banner ${code}`);
  return banner;
}

/** 内蒙古自治区鄂尔多斯市伊金霍洛旗红庆河镇木呼敦包村 */
export function placeName(banner: Banner, town: string, village?: string): string {
  return `${REGION}${banner.league}${banner.name}${town}${village ?? ''}`;
}

/**
 * A village renamed in the 2017 adjustment of village names (村改名). Its statistical division
 * code (统计用区划代码, 12 digits) stays the same, so the code — not the name — is what records of
 * two departments, or of one department before and after, are compared on.
 */
export interface VillageRename {
  /** Banner + town + old village name, as records before the rename write it. */
  from: string;
  /** Banner + town + new village name. */
  to: string;
  /** The day the new name took effect: records made on or after it carry the new name. */
  at: string;
}

export const VILLAGE_RENAMES: readonly VillageRename[] = [
  { from: '达尔罕茂明安联合旗百灵庙镇巴音敖包嘎查', to: '达尔罕茂明安联合旗百灵庙镇巴音宝力格嘎查', at: '2017-12-20' },
  { from: '达拉特旗树林召镇乌兰村', to: '达拉特旗树林召镇乌兰什里村', at: '2017-12-20' },
  { from: '伊金霍洛旗红庆河镇巴嘎淖村', to: '伊金霍洛旗红庆河镇巴嘎淖尔村', at: '2017-12-20' },
];

/** The demo's town code: index in `towns` + 100 (Hongqinghe, the seed's town, is 106). */
export function townCode(banner: Banner, townIndex: number): string {
  return banner.code === '150627' && townIndex === 0 ? '106' : String(100 + townIndex);
}

const VILLAGE_CODES: ReadonlyMap<string, string> = (() => {
  const codes = new Map<string, string>();
  for (const banner of BANNERS) {
    banner.towns.forEach((town, t) => town.villages.forEach((village, v) => {
      codes.set(`${banner.name}${town.name}${village}`, `${banner.code}${townCode(banner, t)}${String(201 + v)}`);
    }));
  }
  for (const r of VILLAGE_RENAMES) codes.set(r.to, codes.get(r.from)!);
  return codes;
})();

/** The village's 12-digit code from its name (banner + town + village), old or new. */
export function villageCode(village: string): string {
  const code = VILLAGE_CODES.get(village);
  if (!code) throw new Error(`no demo village named ${village}: villages are listed in demo-world/places.ts (banner + town + village)`);
  return code;
}

/** The name a record made on `date` gives the village first named `village`. */
export function villageNameOn(village: string, date: string): string {
  const rename = VILLAGE_RENAMES.find((r) => r.from === village);
  return rename && date >= rename.at ? rename.to : village;
}
