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
