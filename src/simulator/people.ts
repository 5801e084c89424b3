import { between, pick, type Random } from './random.js';

/** Plausible Chinese customers: names and valid mainland mobile numbers. */

const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN =
  '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英文辉鑫宇浩然子涵欣怡梓轩思远佳琪一鸣雨桐俊杰晓东海燕建华志强春梅丹丹国庆红梅';

/** Mobile prefixes in service on the mainland (China Mobile, Unicom, Telecom, Broadnet). */
const MOBILE_PREFIXES = [
  '130',
  '131',
  '132',
  '133',
  '134',
  '135',
  '136',
  '137',
  '138',
  '139',
  '147',
  '150',
  '151',
  '152',
  '153',
  '155',
  '156',
  '157',
  '158',
  '159',
  '166',
  '172',
  '173',
  '175',
  '176',
  '177',
  '178',
  '180',
  '181',
  '182',
  '183',
  '184',
  '185',
  '186',
  '187',
  '188',
  '189',
  '191',
  '192',
  '195',
  '198',
  '199',
];

export function chineseName(random: Random): string {
  const length = random() < 0.65 ? 2 : 1;
  let given = '';
  for (let i = 0; i < length; i++) given += pick(random, [...GIVEN]);
  return pick(random, [...SURNAMES]) + given;
}

export function mobileNumber(random: Random): string {
  return pick(random, MOBILE_PREFIXES) + String(between(random, 0, 99_999_999)).padStart(8, '0');
}
