import { invalidParameter } from './errors.js';

/**
 * The platform's enums, defined once: name (what travels on the wire and is stored),
 * numeric code (accepted as input, as the platform's clients send either) and Chinese label.
 */

export interface EnumMember<N extends string> {
  readonly name: N;
  readonly code: number;
  readonly label: string;
}

export interface PlatformEnum<N extends string> {
  readonly names: readonly N[];
  readonly members: readonly EnumMember<N>[];
  /** Accepts a name (`IN_PROCESS`, case-insensitive) or a numeric code (`1`, `"1"`). */
  parse(value: unknown): N | undefined;
  /** `parse`, refusing what is not a member with a 412 that names `parameter`. */
  parameter(value: unknown, parameter: string): N;
  /** `parameter` for each item of a list; an error names the item (`resultStatuses[1]`). */
  parameterList(values: readonly unknown[], parameter: string): N[];
  code(name: N): number;
  label(name: N): string;
  /** "NAME(code, label)" list, for documentation and error messages. */
  describe(): string;
}

export function defineEnum<const N extends string>(
  members: readonly (readonly [N, number, string])[],
): PlatformEnum<N> {
  const list = members.map(([name, code, label]) => ({ name, code, label }));
  const byName = new Map<string, EnumMember<N>>(list.map((m) => [m.name, m]));
  const byCode = new Map<number, EnumMember<N>>(list.map((m) => [m.code, m]));
  return {
    names: list.map((m) => m.name),
    members: list,
    parse(value) {
      if (typeof value === 'number') return Number.isInteger(value) ? byCode.get(value)?.name : undefined;
      if (typeof value !== 'string') return undefined;
      const text = value.trim();
      if (/^\d+$/.test(text)) return byCode.get(Number(text))?.name;
      return byName.get(text.toUpperCase())?.name;
    },
    parameter(value, parameter) {
      const name = this.parse(value);
      if (name === undefined)
        throw invalidParameter(parameter, `${JSON.stringify(value)} must be one of ${this.describe()}`);
      return name;
    },
    parameterList(values, parameter) {
      return values.map((v, i) => this.parameter(v, `${parameter}[${i}]`));
    },
    code: (name) => byName.get(name)!.code,
    label: (name) => byName.get(name)!.label,
    describe: () => list.map((m) => `${m.name}(${m.code}, ${m.label})`).join(', '),
  };
}

export type NameOf<E> = E extends PlatformEnum<infer N> ? N : never;

export const JobStatus = defineEnum([
  ['NOT_STARTED', 0, '未开始'],
  ['IN_PROCESS', 1, '进行中'],
  ['COMPLETED', 2, '已完成'],
  ['RUNNABLE', 3, '可运行'],
  ['USER_PAUSE', 4, '用户暂停'],
  ['SYSTEM_SUSPENDED', 5, '系统暂停'],
  ['TERMINATE', 6, '已终止'],
  ['IN_QUEUE', 7, '排队中'],
]);
export type JobStatus = NameOf<typeof JobStatus>;

export const JobMode = defineEnum([
  ['AUTO', 0, '自动任务'],
  ['MANUAL', 1, '手动任务'],
]);
export type JobMode = NameOf<typeof JobMode>;

export const PhoneType = defineEnum([
  ['MOBILE', 0, '手机号码'],
  ['LANDLINE', 1, '固话'],
  ['UNFIXED_CALL', 2, '无主叫'],
  ['VERBAL_TRICK_TRAINING_CALLER', 3, '训练主叫账号'],
  ['VERBAL_TRICK_TRAINING_CALLED', 4, '训练被叫账号'],
  ['VOIP_DEVICE', 5, '网关设备'],
]);
export type PhoneType = NameOf<typeof PhoneType>;

export const ResultStatus = defineEnum([
  ['ANSWERED', 0, '已接听'],
  ['NO_ANSWER', 1, '未接'],
  ['BUSY', 2, '占线'],
  ['POWER_OFF', 3, '关机'],
  ['OUT_OF_SERVICE', 4, '被叫停机'],
  ['REFUSED', 5, '拒接'],
  ['VACANT_NUMBER', 6, '空号'],
  ['CAN_NOT_CONNECT', 7, '无法接通'],
  ['FROM_PHONE_ERROR', 8, '主叫号码不可用'],
  ['SYSTEM_ERROR', 9, '外呼失败'],
]);
export type ResultStatus = NameOf<typeof ResultStatus>;

export const IntentLevel = defineEnum([
  ['A', 0, 'A级(较强)'],
  ['B', 1, 'B级(一般)'],
  ['C', 2, 'C级(无法判断)'],
  ['D', 3, 'D级(很少)'],
  ['E', 4, 'E级别(需要再次跟进)'],
  ['F', 5, 'F级别(无需再次跟进)'],
]);
export type IntentLevel = NameOf<typeof IntentLevel>;

export const FollowStatus = defineEnum([
  ['AI_INITIAL_VISIT', 0, 'AI初访'],
  ['PEOPLE_INITIAL_VISIT', 1, '人工初访'],
  ['FOLLOW_UP', 2, '持续跟进'],
]);
export type FollowStatus = NameOf<typeof FollowStatus>;

export const ReadStatus = defineEnum([
  ['NOT_READ', 0, '未读'],
  ['HAS_READ', 1, '已读'],
]);
export type ReadStatus = NameOf<typeof ReadStatus>;

/** Speaker of one transcript turn (callDetailList[].type). */
export const TurnType = defineEnum([
  ['ROBOT', 0, '机器人'],
  ['PERSON', 1, '客户'],
]);
export type TurnType = NameOf<typeof TurnType>;

/** Buckets of getTaskDetail's chatRound / chatDuration maps, as half-open ranges [from, to). */
export interface Bucket<K extends string> {
  readonly key: K;
  readonly from: number;
  readonly to: number;
}

export const CHAT_ROUND_BUCKETS = [
  { key: 'LESS_3', from: 0, to: 3 },
  { key: 'F3_T6', from: 3, to: 6 },
  { key: 'F6_T10', from: 6, to: 10 },
  { key: 'F10_MORE', from: 10, to: Infinity },
] as const satisfies readonly Bucket<string>[];
export type ChatRoundBucket = (typeof CHAT_ROUND_BUCKETS)[number]['key'];

export const CHAT_DURATION_BUCKETS = [
  { key: 'LESS_10S', from: 0, to: 10 },
  { key: 'F10S_T1MIN', from: 10, to: 60 },
  { key: 'F1MIN_T2MIN', from: 60, to: 120 },
  { key: 'F2MIN_T3MIN', from: 120, to: 180 },
  { key: 'F3MIN_TMORE', from: 180, to: Infinity },
] as const satisfies readonly Bucket<string>[];
export type ChatDurationBucket = (typeof CHAT_DURATION_BUCKETS)[number]['key'];

export function bucketOf<K extends string>(buckets: readonly Bucket<K>[], value: number): K {
  const found = buckets.find((b) => value >= b.from && value < b.to);
  return (found ?? buckets[buckets.length - 1]!).key;
}

/** outcall's own state of one call task (not part of the wire format; docs/enums.md). */
export const CallTaskStatus = defineEnum([
  ['NOT_STARTED', 0, '未拨打'],
  ['CALLING', 1, '拨打中'],
  ['REDIAL_WAITING', 2, '等待重拨'],
  ['FINISHED', 3, '已完成'],
]);
export type CallTaskStatus = NameOf<typeof CallTaskStatus>;

/*
 * The platform's later API (/apiOpen/v1/<resource>/…) speaks some enums with more members or other
 * codes than the 2018 interface. outcall stores one meaning (the enums above); these are what the
 * later paths accept and answer, mapped at the edge (docs/generations.md).
 */

/** Job statuses of the later API: the stored eight, and four outcall's dialer never enters (a filter on them finds nothing). */
export const LaterJobStatus = defineEnum([
  ...JobStatus.members.map((m) => [m.name, m.code, m.label] as const),
  ['SYSTEM_HANG_UP', 10, '系统挂起'],
  ['WAITING_FOR_REDIAL', 11, '等待重呼'],
  ['ACCOUNT_DISABLE', 12, '账户禁用'],
  ['MAINTAIN', 13, '系统维护'],
]);
export type LaterJobStatus = NameOf<typeof LaterJobStatus>;

/**
 * Call results of the later API: the stored ten, and two call losses of a platform with waiting
 * queues (a customer hanging up while waiting for a free robot or a human agent). outcall's engines
 * report the ten; the two are accepted where the later API lists them (filters, redial conditions).
 */
export const LaterResultStatus = defineEnum([
  ...ResultStatus.members.map((m) => [m.name, m.code, m.label] as const),
  ['CALL_LOSS', 10, '多并发呼损'],
  ['TRANSFER_ARTIFICIAL', 11, '转人工呼损'],
]);
export type LaterResultStatus = NameOf<typeof LaterResultStatus>;

/** A later-API result as stored, or undefined for the two outcall never stores. */
export function storedResultStatus(status: LaterResultStatus): ResultStatus | undefined {
  return (ResultStatus.names as readonly string[]).includes(status) ? (status as ResultStatus) : undefined;
}

/** A later-API job status as stored, or undefined for the four the dialer never enters. */
export function storedJobStatus(status: LaterJobStatus): JobStatus | undefined {
  return (JobStatus.names as readonly string[]).includes(status) ? (status as JobStatus) : undefined;
}

/**
 * Follow statuses of the later API. Its codes differ from the 2018 interface's (CLUE is 0 there,
 * AI_INITIAL_VISIT 1, where the 2018 interface has AI_INITIAL_VISIT 0), and it splits 持续跟进.
 */
export const LaterFollowStatus = defineEnum([
  ['CLUE', 0, '线索'],
  ['AI_INITIAL_VISIT', 1, 'AI初访'],
  ['PEOPLE_INITIAL_VISIT', 2, '人工初访'],
  ['AI_FOLLOW_UP', 3, 'AI持续跟进'],
  ['PEOPLE_FOLLOW_UP', 4, '人工持续跟进'],
  ['QUOTE', 5, '报价'],
  ['DEAL', 6, '成交'],
  ['LOSS', 7, '流失'],
]);
export type LaterFollowStatus = NameOf<typeof LaterFollowStatus>;

/**
 * The stored follow status a later-API value selects. outcall's customers are AI_INITIAL_VISIT when
 * imported and are moved on by nothing but the CRM's own data; the 2018 FOLLOW_UP (持续跟进) is both
 * AI_FOLLOW_UP and PEOPLE_FOLLOW_UP of the later API. CLUE, QUOTE, DEAL and LOSS select nothing.
 */
export function storedFollowStatus(status: LaterFollowStatus): FollowStatus | undefined {
  switch (status) {
    case 'AI_INITIAL_VISIT':
    case 'PEOPLE_INITIAL_VISIT':
      return status;
    case 'AI_FOLLOW_UP':
    case 'PEOPLE_FOLLOW_UP':
      return 'FOLLOW_UP';
    default:
      return undefined;
  }
}

/**
 * Which side ended an answered call (the later API's 挂机状态, call_record.hangup_by; migration 0010).
 * Calls recorded before outcall stored it have none (null). An unanswered call is ended by the
 * network or the called side's phone: SYSTEM_HANGUP, except REFUSED, which the customer rejected.
 */
export const HangupBy = defineEnum([
  ['REMOTE_HANGUP', 0, '客户挂机'],
  ['ROBOT_HANGUP', 1, 'AI挂机'],
  ['SYSTEM_HANGUP', 2, '系统挂机'],
]);
export type HangupBy = NameOf<typeof HangupBy>;

/** Call-task states of the later API (toBeCalledList, deleteRobotCallTaskList's taskStatus). */
export const LaterCallTaskStatus = defineEnum([
  ['NOT_STARTED', 0, '未开始'],
  ['IN_PROCESS', 1, '进行中'],
  ['COMPLETED', 2, '已完成'],
  ['RETRY', 3, '重试拨打'],
  ['AUTO_RETRY', 4, '自动重拨'],
  ['IN_CACHE', 5, '缓存中'],
]);
export type LaterCallTaskStatus = NameOf<typeof LaterCallTaskStatus>;

/**
 * The later-API state of a stored call task: being dialled is IN_PROCESS, waiting for the job's
 * automatic redial is AUTO_RETRY. RETRY (a manual retry) and IN_CACHE (queued in a dialer's cache)
 * are states outcall never has.
 */
export function laterCallTaskStatus(status: CallTaskStatus): LaterCallTaskStatus {
  switch (status) {
    case 'NOT_STARTED':
      return 'NOT_STARTED';
    case 'CALLING':
      return 'IN_PROCESS';
    case 'REDIAL_WAITING':
      return 'AUTO_RETRY';
    case 'FINISHED':
      return 'COMPLETED';
  }
}

/** The stored call-task state a later-API value selects, or undefined (RETRY, IN_CACHE: nothing). */
export function storedCallTaskStatus(status: LaterCallTaskStatus): CallTaskStatus | undefined {
  return CallTaskStatus.names.find((s) => laterCallTaskStatus(s) === status);
}

/*
 * What the later API answers about a tenant's dialog flows and caller lines (tenant.md, the
 * enum tables of its introduction). The platform documents names only; the codes here are the
 * members' positions, for the name-or-code inputs every enum accepts. The names are the
 * platform's, misspellings included (FINICING, HEAKTH_FACILITY, …): they are wire values.
 */

/** A dialog flow's review status (话术状态). outcall's flows are usable as soon as they exist: APPROVED. */
export const DialogFlowStatus = defineEnum([
  ['DRAFT', 0, '草稿'],
  ['PENDING_APPROVAL', 1, '等待审核'],
  ['REJECTED', 2, '拒绝'],
  ['APPROVED', 3, '审核通过'],
]);
export type DialogFlowStatus = NameOf<typeof DialogFlowStatus>;

/** The industry a caller line is registered for (callOutIndustry). */
export const CallOutIndustry = defineEnum([
  ['FINANCE', 0, '金融'],
  ['OTHER', 1, '其他'],
]);
export type CallOutIndustry = NameOf<typeof CallOutIndustry>;

const positions = <const N extends string>(members: readonly (readonly [N, string])[]) =>
  members.map(([name, label], code) => [name, code, label] as const);

/** A dialog flow's industry (一级行业). */
export const Industry = defineEnum(
  positions([
    ['OTHER', '其他产品推广'],
    ['FINANCE', '金融类'],
    ['REALTY', '房产类'],
    ['COMPANY', '企业服务'],
    ['INSURANCE', '保险行业'],
    ['HEALTH', '健康保健'],
    ['CONFERENCE', '会务营销'],
    ['ALLIANCE', '招商加盟'],
    ['EDUCATION', '教育类'],
    ['CALLBACK', '通知回访'],
    ['AUTO', '汽车行业'],
    ['INTERNET', '互联网行业'],
    ['CULTURAL', '文化行业'],
    ['CLOTHING', '服装行业'],
    ['MARKETING', '市场调研'],
    ['HUMANRESOURCE', '人力资源'],
    ['TRANSPORT', '交通出行'],
    ['GOVERNMENT', '市政'],
    ['WEDDING', '婚庆'],
    ['SUPPLY_CHAIN', '运输行业'],
    ['GAME', '游戏行业'],
    ['COMMUNICATION', '通信行业'],
  ]),
);
export type Industry = NameOf<typeof Industry>;

/** A dialog flow's sub-industry (二级行业). */
export const SubIndustry = defineEnum(
  positions([
    ['OTHER', '其他产品推广'],
    ['LOAN', '贷款类'],
    ['STOCK', '股票类'],
    ['DEBT_COLLECTION', '金融催缴'],
    ['CREDIT_CARD', '信用卡'],
    ['FINICING', '理财'],
    ['EXCHANGE', '外汇'],
    ['STOCK_INVESTMENT', '股权投资'],
    ['OPTION', '个股期权'],
    ['AUTO_LOAN', '车贷'],
    ['INSTALLMENT', '分期'],
    ['ACCOUNT_INVESTMENT', '邀请开户'],
    ['FINICE', '融资'],
    ['DEPOSIT', '提现'],
    ['BLOCK_CHAIN', '区块链'],
    ['WAKE_UP', '客户唤醒'],
    ['ALLOCATION', '配资'],
    ['STOCK_APP', '炒股APP'],
    ['MANSION', '豪宅'],
    ['HOUSE', '住宅'],
    ['DECORATION', '装修'],
    ['INTERMEDIARY', '中介'],
    ['SHOP', '商铺'],
    ['FOUREIGN_REALTY', '海外房产'],
    ['RENT_OR_SALE', '出租出售'],
    ['OFFICE_BUILDING', '写字楼'],
    ['FURNITURE', '家具'],
    ['COMPLEX', '商业综合体'],
    ['DIVERSION', '案场导流'],
    ['ACCOUNTING', '代理记账'],
    ['TRANSFER', '公司转让'],
    ['SHOP_MANAGING', '店铺代运营'],
    ['FOUREIGN_MERCHANT', '外贸'],
    ['ADVERTISING', '广告推广'],
    ['TRADEMARK', '产权商标'],
    ['INSPECTION', '检验认证'],
    ['ENTERPRISE_INVESTMENT', '企业招商'],
    ['CHECK', '承诺汇票'],
    ['ACCOUNT_APP', '财务软件'],
    ['VERIFICATION', '认证'],
    ['WIN_WIN', '双创'],
    ['LEGAL_SERVICE', '法律服务'],
    ['E_RECEIPT', '电子发票'],
    ['CONSULTATION', '企业管理咨询'],
    ['FACILITY_RENT', '设备租凭'],
    ['PUBLICIST', '公关'],
    ['GIFT_CARD', '礼品卡'],
    ['AUTO_INSURANCE', '车险'],
    ['LIFE_INSURANCE', '人寿险'],
    ['MEDICAL_INSURANCE', '医疗保险'],
    ['INSURANCE_SALE', '保险销售'],
    ['ENDOWMENT_INSURANCE', '养老保险'],
    ['HEALTH_INSURANCE', '健康险'],
    ['INJURY_INSURANCE', '工伤'],
    ['INSURANCE_AGENT', '保险代理'],
    ['BEAUTY', '美容'],
    ['HEALTH_PRODUCT', '保健品'],
    ['HEAKTH_FACILITY', '保健器械'],
    ['DIET', '减肥'],
    ['HEALTH_CHECK', '体检'],
    ['HOSPITAL', '医院'],
    ['FIT', '健身'],
    ['DENTIST', '牙医'],
    ['MEETING', '会议邀约'],
    ['EXHIBITION', '展会邀约'],
    ['EXHIBITION_ENTERPRISE', '会议邀约(企业)'],
    ['FAST_FOOD', '快餐店'],
    ['SNACK', '小吃店'],
    ['ESTORE', '网店'],
    ['ALCOHOL', '酒类'],
    ['APP', 'APP招商'],
    ['INVESTMENT', '投资邀约'],
    ['BEALTY_INVESTMENT', '美容'],
    ['RESTARUNT', '饭店'],
    ['BABY', '母婴'],
    ['FOOD', '食品'],
    ['ADULT_EDUCATION', '成人培训'],
    ['SKILL_EDUCATION', '技能培训'],
    ['SPEECH', '课程演讲'],
    ['START_NOTIFICATION', '开课通知'],
    ['ADMISSION', '招生'],
    ['ONLINE_EDUCATION', '线上培训'],
    ['DAILY_EDUCATION', '日托'],
    ['STATISFICATION', '满意度调查'],
    ['GOV_NOTIFICATION', '政府通知'],
    ['INVESTIGATION', '使用情况调查'],
    ['ADDRESS_VERIFICATION', '确认地址'],
    ['URGE', '催退收货'],
    ['NOTIFICATION', '通知'],
    ['USED_CAR', '二手车'],
    ['ACCESSORIES', '配件'],
    ['NEW_CAR', '新车'],
    ['GAS', '加油'],
    ['WECHAT_APP', '小程序'],
    ['SEO', 'SEO'],
    ['TAOBAO_COMMENT', '淘宝评论'],
    ['SOFTWARE', '软件服务'],
    ['BIG_DATA', '大数据营销'],
    ['WEB_BUILD', '网站制作'],
    ['PHOTOGRAPH', '淘宝拍摄'],
    ['INTERNET_SERVICE', '电商服务'],
    ['COLLECTION', '藏品收藏'],
    ['PUBLISHING', '出书'],
    ['PUBLISHING_RIGHT', '知识产权'],
    ['MAGAZINE', '杂志销售'],
    ['PAINTING', '书画'],
    ['PERSONAL', '私人定制'],
    ['FOUREIGN_CLOTHING', '外贸'],
    ['MOVIE', '影视'],
    ['HIRE', '招聘'],
    ['AIRLINE_TICKET', '飞机票'],
    ['TRAVEL_NOTIFICATION', '登机登车提醒'],
    ['GOV_SERVICE', '市政服务'],
    ['HOUSEHOLD', '入户'],
    ['WED_WEB', '婚庆网站'],
    ['WED_SERVICE', '婚庆服务'],
    ['WED_INVESTMENT', '活动邀请'],
    ['LOGISTICS', '物流'],
    ['PLATFORM_PROMOTION', '游戏平台推广'],
    ['SINGLE_PLAYER_GAME', '单机游戏'],
    ['ONLINE_GAME', '网游'],
    ['GAME_CHANNEL', '游戏渠道'],
    ['GAME_PROXY', '游戏代理'],
    ['GAME_OTHER', '其他'],
    ['BROADBAND', '宽带'],
    ['PLAN_UPGRADE', '套餐升级'],
    ['CONTRACT_PHONE', '合约机'],
    ['COMMUNICATION_OTHER', '其他'],
  ]),
);
export type SubIndustry = NameOf<typeof SubIndustry>;

/**
 * The call results that make a call task wait for a redial when a job does not choose (2018 create,
 * and every job before migration 0009): every result but ANSWERED.
 */
export const REDIAL_ON_EVERY_FAILURE: readonly ResultStatus[] = ResultStatus.names.filter((n) => n !== 'ANSWERED');

/** What job/checkAll and job/executeJobs do to each job: start (or resume), pause, or stop for good. */
export const LaterJobOperation = defineEnum([
  ['START', 0, '开始'],
  ['PAUSE', 1, '暂停'],
  ['STOP', 2, '终止'],
]);
export type LaterJobOperation = NameOf<typeof LaterJobOperation>;
