import { DEFAULT_INTENT_RULES, DEFAULT_RECOGNISERS, type DialogFlowDefinition } from '../domain/dialogFlow.js';

/** The demo tenant's dialog flows (话术), in the format of docs/dialog-flows.md. */
export const DEMO_DIALOG_FLOWS: { name: string; script: DialogFlowDefinition }[] = [
  {
    name: '商业综合体推介',
    script: {
      maxTurns: 12,
      opening:
        '喂，您好，（停顿2s），您好，想问下您位于江北纬七路隧道附近，均价17000的高端商业综合体，我可以给您介绍一下吗？',
      pitch: [
        '我们项目是地铁上盖的商业综合体，一楼是商铺，楼上是精装公寓。',
        '现在首付只要两成，还可以申请商业贷款。',
        '这周末售楼处有开放日活动，到访还送精美礼品。',
      ],
      questions: [
        {
          concern: '价格',
          keywords: ['多少钱', '价格', '均价', '单价', '一平'],
          phrasings: ['多少钱一平？'],
          answer: '均价一万七，目前有九八折优惠。',
        },
        {
          concern: '地理位置',
          keywords: ['在哪', '位置', '地址', '什么地方'],
          phrasings: ['具体在哪个位置？'],
          answer: '就在纬七路隧道江北出口，过江五分钟。',
        },
        {
          concern: '交通',
          keywords: ['交通', '地铁', '公交', '停车'],
          phrasings: ['交通方便吗？'],
          answer: '地铁三号线和十号线都在附近，步行三分钟。',
        },
        {
          concern: '安全',
          keywords: ['安全', '安保', '物业', '门禁'],
          phrasings: ['小区安全怎么样？'],
          answer: '二十四小时安保，人脸识别门禁。',
        },
        {
          concern: '学区',
          keywords: ['学区', '学校', '上学'],
          phrasings: ['有学区吗？'],
          answer: '商业产权不带学区，周边有两所民办学校。',
        },
      ],
      recognise: DEFAULT_RECOGNISERS,
      closings: {
        interested: '好的，稍后置业顾问会加您微信，把资料发给您，祝您生活愉快！',
        neutral: '好的，打扰您了，祝您生活愉快，再见！',
        declined: '好的，打扰您了，祝您生活愉快，再见！',
        busy: '好的，那我晚点再联系您，再见！',
      },
      intentRules: DEFAULT_INTENT_RULES,
      defaultIntentLevel: 'D',
    },
  },
  {
    name: '健身会所会员回访',
    script: {
      maxTurns: 12,
      opening: '您好，这里是悦动健身，您之前在我们门店做过体测，想跟您做个简单回访，方便吗？',
      pitch: [
        '我们本月新开了游泳馆和搏击操课程。',
        '老会员续卡可以享受七五折，还送十节私教课。',
        '您可以先来免费体验一周。',
      ],
      questions: [
        {
          concern: '价格',
          keywords: ['多少钱', '价格', '年卡', '费用', '收费'],
          phrasings: ['年卡现在多少钱？'],
          answer: '年卡原价三千六，现在续卡两千七。',
        },
        {
          concern: '健身',
          keywords: ['减脂', '减肥', '课程', '瘦身'],
          phrasings: ['有适合减脂的课程吗？'],
          answer: '有的，燃脂单车和HIIT每天都有排课。',
        },
        {
          concern: '交通',
          keywords: ['停车', '车位', '交通'],
          phrasings: ['停车方便吗？'],
          answer: '门店楼下有商场停车场，会员免费停三小时。',
        },
        {
          concern: '营业时间',
          keywords: ['几点', '开门', '营业时间', '关门'],
          phrasings: ['几点开门？'],
          answer: '早上六点到晚上十一点，节假日不休息。',
        },
      ],
      recognise: DEFAULT_RECOGNISERS,
      closings: {
        interested: '好的，我让您的专属教练联系您预约体验，祝您生活愉快！',
        neutral: '好的，不打扰您了，祝您身体健康，再见！',
        declined: '好的，不打扰您了，祝您身体健康，再见！',
        busy: '好的，那我改天再联系您，再见！',
      },
      intentRules: DEFAULT_INTENT_RULES,
      defaultIntentLevel: 'D',
    },
  },
  {
    name: '少儿英语体验课邀约',
    script: {
      maxTurns: 12,
      opening: '您好，我是启航少儿英语的课程顾问，我们这周有免费的外教体验课，想邀请您家孩子参加，可以吗？',
      pitch: [
        '体验课是外教小班授课，每班不超过六个孩子。',
        '课后会给孩子做一次英语水平测评。',
        '周六上午和周日下午都有场次可以选。',
      ],
      questions: [
        {
          concern: '价格',
          keywords: ['收费', '多少钱', '价格', '学费'],
          phrasings: ['正式课怎么收费？'],
          answer: '正式课每节一百二十元，报年课有优惠。',
        },
        {
          concern: '师资',
          keywords: ['老师', '外教', '师资'],
          phrasings: ['老师是哪里的？'],
          answer: '都是有教学资格证的北美外教。',
        },
        {
          concern: '地理位置',
          keywords: ['校区', '在哪', '地址', '位置'],
          phrasings: ['校区在哪里？'],
          answer: '在万达广场三楼，离地铁站两百米。',
        },
        {
          concern: '年龄',
          keywords: ['几岁', '五岁', '年龄', '多大'],
          phrasings: ['孩子五岁可以上吗？'],
          answer: '可以的，我们的课程适合四到十二岁的孩子。',
        },
      ],
      recognise: DEFAULT_RECOGNISERS,
      closings: {
        interested: '好的，我帮您预约周六上午的体验课，稍后短信发您地址，再见！',
        neutral: '好的，打扰您了，祝您和孩子生活愉快，再见！',
        declined: '好的，打扰您了，祝您和孩子生活愉快，再见！',
        busy: '好的，那我晚点再给您打，再见！',
      },
      intentRules: DEFAULT_INTENT_RULES,
      defaultIntentLevel: 'D',
    },
  },
];
