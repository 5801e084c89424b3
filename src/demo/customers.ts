import type { FollowStatus } from '../domain/enums.js';
import type { NewCustomer } from '../repositories/customers.js';
import { chineseName, mobileNumber } from '../simulator/people.js';
import { pick, type Random, weighted } from '../simulator/random.js';

/*
 * Made-up customers as a real company's list holds them, for the demo tenant (src/demo/seed.ts)
 * and the benchmark's data set (bench/dataset.ts): a Chinese name, a mobile number, sometimes a
 * WeChat id, where they came from, and how far they have been followed up.
 */

const FOLLOW_WEIGHTS: Record<FollowStatus, number> = { AI_INITIAL_VISIT: 70, PEOPLE_INITIAL_VISIT: 18, FOLLOW_UP: 12 };
const SOURCES = ['UPLOADED_BY_YOURSELF', 'UPLOADED_BY_YOURSELF', 'CRM_IMPORT'] as const;
const GENDERS = ['MALE', 'FEMALE', 'UNKNOWN'] as const;
const CHANNELS = ['线下活动', '官网留资', '老客户推荐', '抖音广告'] as const;

/** A mobile number not in `taken`, which it is added to (numbers are unique within a tenant's list). */
export function uniqueMobileNumber(random: Random, taken: Set<string>): string {
  let phone = mobileNumber(random);
  while (taken.has(phone)) phone = mobileNumber(random);
  taken.add(phone);
  return phone;
}

export interface MadeUpCustomer {
  tenantId: number;
  customerGroupId: number;
  phoneNumber: string;
  /** The user following the customer up, or the users one is picked from. */
  followUser: number | readonly number[];
  /** When the customer was added and assigned. */
  joinedAt: number;
  /** When the customer was last followed up; null: never. */
  lastFollowTime: number | null;
}

/** The customer_person row of a made-up customer; the rest of the row is drawn from `random`. */
export function madeUpCustomer(random: Random, c: MadeUpCustomer): NewCustomer {
  return {
    tenant_id: c.tenantId,
    customer_group_id: c.customerGroupId,
    name: chineseName(random),
    phone_number: c.phoneNumber,
    wechat_number: random() < 0.3 ? `wx_${c.phoneNumber.slice(-6)}` : null,
    source: pick(random, SOURCES),
    last_emotion: 'UNKNOWN',
    customer_level: 'UNKNOWN',
    gender: pick(random, GENDERS),
    follow_user_id: typeof c.followUser === 'number' ? c.followUser : pick(random, c.followUser),
    follow_status: weighted(random, FOLLOW_WEIGHTS),
    properties: { 来源渠道: pick(random, CHANNELS) },
    attributes: [],
    last_follow_time: c.lastFollowTime,
    assign_time: c.joinedAt,
    created_at: c.joinedAt,
  };
}
