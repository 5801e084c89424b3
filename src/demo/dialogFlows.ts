import type { DialogFlowScript } from '../domain/dialogFlow.js';

/** The demo tenant's dialog flows (话术). */
export const DEMO_DIALOG_FLOWS: { name: string; script: DialogFlowScript }[] = [
  {
    name: '商业综合体推介',
    script: {
      opening:
        '喂，您好，（停顿2s），您好，想问下您位于江北纬七路隧道附近，均价17000的高端商业综合体，我可以给您介绍一下吗？',
      pitch: [
        '我们项目是地铁上盖的商业综合体，一楼是商铺，楼上是精装公寓。',
        '现在首付只要两成，还可以申请商业贷款。',
        '这周末售楼处有开放日活动，到访还送精美礼品。',
      ],
      questions: [
        { concern: '价格', customer: '多少钱一平？', robot: '均价一万七，目前有九八折优惠。' },
        { concern: '地理位置', customer: '具体在哪个位置？', robot: '就在纬七路隧道江北出口，过江五分钟。' },
        { concern: '交通', customer: '交通方便吗？', robot: '地铁三号线和十号线都在附近，步行三分钟。' },
        { concern: '安全', customer: '小区安全怎么样？', robot: '二十四小时安保，人脸识别门禁。' },
        { concern: '学区', customer: '有学区吗？', robot: '商业产权不带学区，周边有两所民办学校。' },
      ],
      closing: {
        interested: '好的，稍后置业顾问会加您微信，把资料发给您，祝您生活愉快！',
        declined: '好的，打扰您了，祝您生活愉快，再见！',
        busy: '好的，那我晚点再联系您，再见！',
      },
    },
  },
  {
    name: '健身会所会员回访',
    script: {
      opening: '您好，这里是悦动健身，您之前在我们门店做过体测，想跟您做个简单回访，方便吗？',
      pitch: [
        '我们本月新开了游泳馆和搏击操课程。',
        '老会员续卡可以享受七五折，还送十节私教课。',
        '您可以先来免费体验一周。',
      ],
      questions: [
        { concern: '价格', customer: '年卡现在多少钱？', robot: '年卡原价三千六，现在续卡两千七。' },
        { concern: '健身', customer: '有适合减脂的课程吗？', robot: '有的，燃脂单车和HIIT每天都有排课。' },
        { concern: '交通', customer: '停车方便吗？', robot: '门店楼下有商场停车场，会员免费停三小时。' },
        { concern: '营业时间', customer: '几点开门？', robot: '早上六点到晚上十一点，节假日不休息。' },
      ],
      closing: {
        interested: '好的，我让您的专属教练联系您预约体验，祝您生活愉快！',
        declined: '好的，不打扰您了，祝您身体健康，再见！',
        busy: '好的，那我改天再联系您，再见！',
      },
    },
  },
  {
    name: '少儿英语体验课邀约',
    script: {
      opening: '您好，我是启航少儿英语的课程顾问，我们这周有免费的外教体验课，想邀请您家孩子参加，可以吗？',
      pitch: [
        '体验课是外教小班授课，每班不超过六个孩子。',
        '课后会给孩子做一次英语水平测评。',
        '周六上午和周日下午都有场次可以选。',
      ],
      questions: [
        { concern: '价格', customer: '正式课怎么收费？', robot: '正式课每节一百二十元，报年课有优惠。' },
        { concern: '师资', customer: '老师是哪里的？', robot: '都是有教学资格证的北美外教。' },
        { concern: '地理位置', customer: '校区在哪里？', robot: '在万达广场三楼，离地铁站两百米。' },
        { concern: '年龄', customer: '孩子五岁可以上吗？', robot: '可以的，我们的课程适合四到十二岁的孩子。' },
      ],
      closing: {
        interested: '好的，我帮您预约周六上午的体验课，稍后短信发您地址，再见！',
        declined: '好的，打扰您了，祝您和孩子生活愉快，再见！',
        busy: '好的，那我晚点再给您打，再见！',
      },
    },
  },
];
