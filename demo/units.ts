/**
 * The demo unit tree: the Inner Mongolia Autonomous Region commission, its 12 leagues/cities and
 * some of their banners/counties. Ids are GB/T 2260 division codes, so a demo resident of a banner
 * has an ID number that starts with the banner's id.
 */
export interface DemoUnit {
  id: string;
  name: string;
  nameZh: string;
  level: 'region' | 'league' | 'banner';
  parentId: string | null;
}

const REGION: DemoUnit = {
  id: '150000',
  name: 'Inner Mongolia Autonomous Region Commission for Discipline Inspection and Supervision',
  nameZh: '内蒙古自治区纪委监委',
  level: 'region',
  parentId: null,
};

type Row = [id: string, name: string, nameZh: string, banners: [string, string, string][]];

const LEAGUES: Row[] = [
  ['150100', 'Hohhot City', '呼和浩特市', [
    ['150121', 'Tumed Left Banner', '土默特左旗'],
    ['150122', 'Togtoh County', '托克托县'],
    ['150123', 'Horinger County', '和林格尔县'],
  ]],
  ['150200', 'Baotou City', '包头市', [
    ['150222', 'Guyang County', '固阳县'],
    ['150223', 'Darhan Muminggan United Banner', '达尔罕茂明安联合旗'],
  ]],
  ['150300', 'Wuhai City', '乌海市', []],
  ['150400', 'Chifeng City', '赤峰市', [
    ['150421', 'Ar Horqin Banner', '阿鲁科尔沁旗'],
    ['150425', 'Hexigten Banner', '克什克腾旗'],
  ]],
  ['150500', 'Tongliao City', '通辽市', [
    ['150521', 'Horqin Left Middle Banner', '科尔沁左翼中旗'],
    ['150523', 'Kailu County', '开鲁县'],
  ]],
  ['150600', 'Ordos City', '鄂尔多斯市', [
    ['150621', 'Dalad Banner', '达拉特旗'],
    ['150622', 'Jungar Banner', '准格尔旗'],
    ['150624', 'Otog Banner', '鄂托克旗'],
    ['150625', 'Hanggin Banner', '杭锦旗'],
    ['150626', 'Uxin Banner', '乌审旗'],
    ['150627', 'Ejin Horo Banner', '伊金霍洛旗'],
  ]],
  ['150700', 'Hulunbuir City', '呼伦贝尔市', [
    ['150725', 'Chen Barag Banner', '陈巴尔虎旗'],
    ['150726', 'New Barag Left Banner', '新巴尔虎左旗'],
  ]],
  ['150800', 'Bayannur City', '巴彦淖尔市', [
    ['150821', 'Wuyuan County', '五原县'],
    ['150822', 'Dengkou County', '磴口县'],
    ['150823', 'Urad Front Banner', '乌拉特前旗'],
  ]],
  ['150900', 'Ulanqab City', '乌兰察布市', [
    ['150921', 'Zhuozi County', '卓资县'],
    ['150922', 'Huade County', '化德县'],
    ['150924', 'Xinghe County', '兴和县'],
    ['150925', 'Liangcheng County', '凉城县'],
  ]],
  ['152200', 'Hinggan League', '兴安盟', [
    ['152221', 'Horqin Right Front Banner', '科尔沁右翼前旗'],
    ['152223', 'Jalaid Banner', '扎赉特旗'],
  ]],
  ['152500', 'Xilingol League', '锡林郭勒盟', [
    ['152522', 'Abag Banner', '阿巴嘎旗'],
    ['152523', 'Sonid Left Banner', '苏尼特左旗'],
    ['152526', 'West Ujimqin Banner', '西乌珠穆沁旗'],
  ]],
  ['152900', 'Alxa League', '阿拉善盟', [
    ['152921', 'Alxa Left Banner', '阿拉善左旗'],
    ['152922', 'Alxa Right Banner', '阿拉善右旗'],
    ['152923', 'Ejina Banner', '额济纳旗'],
  ]],
];

const commission = (name: string) => `${name} Commission for Discipline Inspection and Supervision`;
const commissionZh = (name: string) => `${name}纪委监委`;

export const DEMO_UNITS: readonly DemoUnit[] = [
  REGION,
  ...LEAGUES.flatMap(([id, name, nameZh, banners]) => [
    { id, name: commission(name), nameZh: commissionZh(nameZh), level: 'league' as const, parentId: REGION.id },
    ...banners.map(([bid, bname, bnameZh]) => ({
      id: bid,
      name: commission(bname),
      nameZh: commissionZh(bnameZh),
      level: 'banner' as const,
      parentId: id,
    })),
  ]),
];
