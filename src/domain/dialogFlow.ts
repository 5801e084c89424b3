/** A dialog flow's (话术) script: what the robot says, and the questions customers ask about their concerns (关注点). */
export interface DialogFlowScript {
  opening: string;
  /** The robot's pitch, one line per step. */
  pitch: string[];
  /** Questions a customer may ask, each about one concern, with the robot's answer. */
  questions: { concern: string; customer: string; robot: string }[];
  closing: { interested: string; declined: string; busy: string };
}

/** The flow every new tenant starts with, so a job can be created at once. */
export const DEFAULT_DIALOG_FLOW: { name: string; script: DialogFlowScript } = {
  name: '通用邀约话术',
  script: {
    opening: '您好，这里是客户服务中心，我们最近有一个新的优惠活动，想花一分钟给您介绍一下，可以吗？',
    pitch: [
      '这次活动是给老客户的专属福利，名额有限。',
      '活动期间办理可以享受八折优惠，还有礼品赠送。',
      '您可以到门店了解，也可以让顾问加您微信发资料。',
    ],
    questions: [
      { concern: '价格', customer: '具体多少钱？', robot: '具体价格顾问会根据您的需求报给您，活动价是平时的八折。' },
      { concern: '地理位置', customer: '门店在哪里？', robot: '我们在市中心和城东各有一家门店，都可以办理。' },
      { concern: '时间', customer: '活动到什么时候？', robot: '活动到本月底结束。' },
    ],
    closing: {
      interested: '好的，稍后顾问会联系您，祝您生活愉快！',
      declined: '好的，打扰您了，祝您生活愉快，再见！',
      busy: '好的，那我晚点再联系您，再见！',
    },
  },
};

/** Reads a stored definition; a definition that is not a usable script yields the default one. */
export function scriptOf(definition: unknown): DialogFlowScript {
  const d = definition as Partial<DialogFlowScript> | null;
  const usable =
    d &&
    typeof d.opening === 'string' &&
    Array.isArray(d.pitch) &&
    d.pitch.length > 0 &&
    Array.isArray(d.questions) &&
    d.questions.length > 0 &&
    d.closing;
  return usable ? (d as DialogFlowScript) : DEFAULT_DIALOG_FLOW.script;
}

/** The names of the `${name}` variables in a text, in order. */
export function variablesIn(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/\$\{([^{}$]*)\}/g)) {
    const name = m[1]!.trim();
    if (name) names.push(name);
  }
  return names;
}

/** What the robot says in a dialog flow, in speaking order (the script the dialer uses). */
export function robotTexts(definition: unknown): string[] {
  const script = scriptOf(definition);
  const texts: unknown[] = [
    script.opening,
    ...script.pitch,
    ...script.questions.map((q) => q?.robot),
    script.closing?.interested,
    script.closing?.declined,
    script.closing?.busy,
  ];
  return texts.filter((t): t is string => typeof t === 'string');
}
