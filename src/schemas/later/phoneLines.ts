import { type Static, Type } from '@sinclair/typebox';
import { LINE_ENGINES, LINE_LIMITS, LINE_PHONE_TYPES, SIP_CODECS, SIP_TRANSPORTS } from '../../domain/phoneLine.js';
import { Id, InputObject, NullableInteger, NullableString, SafeText } from '../common.js';
import { TEXT } from '../keywords.js';

/*
 * outcall's extensions of the later API's phone/ (docs/lines.md): a tenant's caller lines as
 * resources it manages — phone/create, phone/update, phone/disable, phone/enable and
 * phone/getPhoneDetail. phone/getPhoneList keeps the platform's answer (schemas/later/tenant.ts).
 */

const L = LINE_LIMITS;

/*
 * Absent or null leaves a field as it is (a null of a declared field is dropped on input, as the
 * platform's Java clients send every unset field as null: http/bodyLimits.ts). So "" clears a
 * text, and a limit is lifted by naming it in `noLimit`.
 */

/** A limit: a number; lifted with `noLimit`. */
const Limit = (minimum: number, maximum: number, description: string, integer = true) =>
  Type.Optional(
    integer
      ? Type.Integer({ minimum, maximum, description: `${description}; lift it with noLimit` })
      : Type.Number({ minimum, maximum, description: `${description}; lift it with noLimit` }),
  );

/** The limits `noLimit` may lift. */
export const LIFTABLE_LIMITS = ['channels', 'callsPerSecond', 'dailyCapPerNumber'] as const;

/** Text; "" clears it. */
const NullableText = (maxLength: number, description: string, examples?: string[]) =>
  Type.Optional(
    Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength, [TEXT]: true, description, examples }),
  );

const lineFields = {
  phoneName: NullableText(L.nameLength, `线路名称: up to ${L.nameLength} characters; "" clears it`),
  engine: Type.Optional(
    Type.Unsafe<string>({
      type: 'string',
      enum: [...LINE_ENGINES],
      description:
        'who dials the line: `simulated` (the built-in simulator) or `external` (engines, through /engine/v1/); default external',
    }),
  ),
  channels: Limit(
    L.channels.min,
    L.channels.max,
    'calls at once on the line, across all the tenant’s jobs (stored as concurrency_quota); default: no limit of the line’s own',
  ),
  callsPerSecond: Limit(
    0,
    L.callsPerSecond.max,
    'new calls per second on the line, more than 0 (e.g. 0.5: one call every two seconds); default: no limit',
    false,
  ),
  ringTimeoutSeconds: Type.Optional(
    Type.Integer({
      minimum: L.ringTimeoutSeconds.min,
      maximum: L.ringTimeoutSeconds.max,
      description: `seconds a call may ring before it is given up (NO_ANSWER); default ${L.ringTimeoutSeconds.default}`,
    }),
  ),
  maxCallSeconds: Type.Optional(
    Type.Integer({
      minimum: L.maxCallSeconds.min,
      maximum: L.maxCallSeconds.max,
      description: `the longest a call may last, in seconds; default ${L.maxCallSeconds.default}`,
    }),
  ),
  dailyCapPerNumber: Limit(
    L.dailyCapPerNumber.min,
    L.dailyCapPerNumber.max,
    'calls to one called number from this line per tenant-local day; default: no cap',
  ),
  noLimit: Type.Optional(
    Type.Array(Type.Unsafe<(typeof LIFTABLE_LIMITS)[number]>({ type: 'string', enum: [...LIFTABLE_LIMITS] }), {
      maxItems: LIFTABLE_LIMITS.length,
      description:
        'the limits to lift (channels, callsPerSecond, dailyCapPerNumber): the line has none of its own from now on',
    }),
  ),
  enabled: Type.Optional(Type.Boolean({ description: 'whether jobs may dial from the line (default true)' })),
  sipUri: NullableText(L.sipUriLength, 'the SIP trunk engines dial through, a sip: or sips: URI; "" clears it', [
    'sip:trunk.example.com:5060',
  ]),
  sipUsername: NullableText(L.sipUsernameLength, 'the trunk’s user name; "" clears it'),
  sipPassword: NullableText(
    L.sipPasswordLength,
    'the trunk’s password: stored encrypted, never answered back (hasSipPassword says whether one is set); "" clears it',
  ),
  sipTransport: Type.Optional(
    Type.Unsafe<string>({ type: 'string', enum: [...SIP_TRANSPORTS], description: 'udp (default) or tcp' }),
  ),
  sipCodecs: Type.Optional(
    Type.Array(Type.Unsafe<string>({ type: 'string', enum: [...SIP_CODECS] }), {
      minItems: 1,
      maxItems: SIP_CODECS.length,
      description: 'the codecs offered, in order of preference: PCMA and/or PCMU (default both)',
    }),
  ),
};

export const CreatePhoneLineBody = InputObject({
  phoneNumber: SafeText({
    maxLength: 32,
    description: '电话号码: a mainland mobile or landline number (+86, spaces and dashes are removed)',
    examples: ['057188880000'],
  }),
  phoneType: Type.Optional(
    Type.Unsafe<string>({
      type: 'string',
      enum: [...LINE_PHONE_TYPES],
      description: '电话类型: MOBILE or LANDLINE; default: what the number is',
    }),
  ),
  ...lineFields,
});
export type CreatePhoneLineBody = Static<typeof CreatePhoneLineBody>;

export const UpdatePhoneLineBody = InputObject({
  phoneNumberId: Id('the line (tenantPhoneNumberId of phone/getPhoneList)'),
  phoneNumber: Type.Optional(
    SafeText({ maxLength: 32, description: '电话号码: a mainland mobile or landline number of the line’s type' }),
  ),
  ...lineFields,
});
export type UpdatePhoneLineBody = Static<typeof UpdatePhoneLineBody>;

export const PhoneLineIdBody = InputObject({
  phoneNumberId: Id('the line (tenantPhoneNumberId of phone/getPhoneList)'),
});
export type PhoneLineIdBody = Static<typeof PhoneLineIdBody>;

export const PhoneLineIdQuery = InputObject({
  phoneNumberId: Id('the line (tenantPhoneNumberId of phone/getPhoneList)'),
});
export type PhoneLineIdQuery = Static<typeof PhoneLineIdQuery>;

export const PhoneLineDetail = Type.Object({
  phoneNumberId: Type.Integer({ description: 'the line’s id (= tenantPhoneNumberId of phone/getPhoneList)' }),
  phoneNumber: Type.String({ description: '电话号码' }),
  phoneType: Type.String({ description: '电话类型: MOBILE or LANDLINE' }),
  phoneName: NullableString({ description: '线路名称' }),
  engine: Type.String({ description: 'simulated or external' }),
  channels: NullableInteger({ description: 'calls at once on the line (null: no limit of its own)' }),
  callsPerSecond: Type.Unsafe<number | null>({ type: ['number', 'null'], description: 'null: no limit' }),
  ringTimeoutSeconds: Type.Integer(),
  maxCallSeconds: Type.Integer(),
  dailyCapPerNumber: NullableInteger({ description: 'null: no cap' }),
  enabled: Type.Boolean(),
  disabledReason: NullableString({
    description: 'why outcall disabled the line, e.g. "20 failures in a row" (null when enabled, or disabled by hand)',
  }),
  consecutiveFailures: Type.Integer({ description: 'FROM_PHONE_ERROR or CAN_NOT_CONNECT results in a row, now' }),
  highWaterMark: Type.Integer({ description: 'the most calls ever live at once on the line' }),
  sipUri: NullableString(),
  sipUsername: NullableString(),
  hasSipPassword: Type.Boolean({ description: 'whether a trunk password is set (it is never answered)' }),
  sipTransport: Type.String(),
  sipCodecs: Type.Array(Type.String()),
  creationTime: Type.String({ description: 'yyyy-MM-dd HH:mm:ss, tenant-local' }),
});
export type PhoneLineDetail = Static<typeof PhoneLineDetail>;

export const PhoneLineChange = Type.Object({
  phoneLine: PhoneLineDetail,
  changed: Type.Array(Type.String(), {
    description: 'the fields this request changed (empty: it changed nothing — a field sent as it was is no change)',
  }),
});
export type PhoneLineChange = Static<typeof PhoneLineChange>;
