import type { DialogFlowDefinition } from '../src/domain/dialogFlow.js';

/* The flow script training is tested with (the console's API and the browser journey). */

/** A flow whose five-turn chat below answers two questions and closes interested: level A by its first rule. */
export const ENGLISH_FLOW: DialogFlowDefinition = {
  maxTurns: 8,
  opening: '您好\u0024{姓名}，这里是晨光英语，想跟您介绍一下少儿英语课程，方便吗？',
  pitch: ['我们有外教小班课，每班六个孩子。', '现在报名送两节试听课，您看可以吗？'],
  questions: [
    { concern: '价格', keywords: ['多少钱', '学费'], phrasings: ['学费怎么收'], answer: '一学期四十节课，三千二。' },
    { concern: '地址', keywords: ['在哪', '地址'], phrasings: ['你们在哪里上课'], answer: '我们在人民路八号二楼。' },
  ],
  recognise: {
    interested: { keywords: ['可以', '好的', '感兴趣'] },
    declined: { keywords: ['不需要', '没兴趣'] },
    busy: { keywords: ['在开会', '没空'] },
  },
  closings: {
    interested: '好的，稍后课程顾问加您微信，再见！',
    neutral: '好的，不打扰您了，再见！',
    declined: '好的，不打扰您了，再见！',
    busy: '好的，那我改天再联系您，再见！',
  },
  intentRules: [
    { level: 'A', when: { outcomes: ['interested'], minQuestions: 2 }, note: '有兴趣且问了两个问题' },
    { level: 'B', when: { outcomes: ['interested'] } },
    { level: 'E', when: { outcomes: ['busy'] } },
    { level: 'F', when: { outcomes: ['declined'] } },
  ],
  defaultIntentLevel: 'D',
};
export const FIVE_TURNS = ['方便，你说吧', '学费多少钱？', '你们在哪里上课', '听起来可以', '好的'];
