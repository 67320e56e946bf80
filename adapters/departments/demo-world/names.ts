/** Name pools for the generated demo population: Han and Mongolian names common in the region. */
export const HAN_SURNAMES = ['王', '张', '刘', '陈', '杨', '赵', '郭', '高', '马', '孙', '胡', '田', '贾', '郝', '白'];
export const HAN_GIVEN_M = ['建军', '志强', '永刚', '海军', '文斌', '俊峰', '利军', '振华', '占林', '晓东', '鹏飞', '宏伟', '二虎', '玉明'];
export const HAN_GIVEN_F = ['秀英', '桂兰', '玉梅', '丽娜', '春燕', '海霞', '美荣', '晓燕', '慧敏', '雅琴', '婷婷', '金花', '彩霞'];
export const MONGOL_M = ['巴特尔', '额尔敦', '苏和', '宝音', '阿拉坦仓', '朝鲁', '敖其尔', '孟和', '满都拉', '哈斯巴根', '毕力格', '那顺', '特木尔', '巴雅尔', '乌力吉', '布和'];
export const MONGOL_F = ['其木格', '乌云', '斯琴', '图雅', '萨仁', '格日勒', '乌兰', '娜仁花', '高娃', '托娅', '萨日娜', '阿拉坦其其格'];
export const COMMUNITIES = ['幸福小区', '锦绣苑', '康和家园', '民族新村', '阳光花园', '团结小区', '草原明珠小区', '祥和苑'];
