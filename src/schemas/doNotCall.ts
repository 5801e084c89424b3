import { type Static, Type } from '@sinclair/typebox';
import { InputObject, NullableString, Page, PageQuery, SafeText } from './common.js';

/** The do-not-call list: add, remove, list. */

const PhoneNumbers = (description: string) =>
  Type.Array(
    SafeText({
      minLength: 1,
      maxLength: 30,
      description: 'mainland mobile or landline; spaces, dashes, brackets and +86 are removed',
    }),
    { minItems: 1, maxItems: 1000, description },
  );

export const DoNotCallAddBody = InputObject({
  phoneNumbers: PhoneNumbers('numbers to list (1–1000)'),
  reason: Type.Optional(SafeText({ maxLength: 200, description: 'why, e.g. 客户要求不再来电; shown in the list' })),
});
export type DoNotCallAddBody = Static<typeof DoNotCallAddBody>;

export const DoNotCallRemoveBody = InputObject({ phoneNumbers: PhoneNumbers('numbers to take off the list (1–1000)') });
export type DoNotCallRemoveBody = Static<typeof DoNotCallRemoveBody>;

const Rejected = Type.Array(Type.Object({ index: Type.Integer(), phoneNumber: Type.String(), reason: Type.String() }), {
  description: 'rows not applied, by index, with the reason',
});

export const DoNotCallAddResult = Type.Object({
  accepted: Type.Array(
    Type.Object({
      index: Type.Integer(),
      phoneNumber: Type.String({ description: 'normalised' }),
      finishedCallTasks: Type.Integer({ description: 'call tasks of this number finished without a call' }),
    }),
  ),
  rejected: Rejected,
  finishedCallTasks: Type.Integer({ description: 'call tasks finished without a call, in all' }),
});
export type DoNotCallAddResult = Static<typeof DoNotCallAddResult>;

export const DoNotCallRemoveResult = Type.Object({
  removed: Type.Array(Type.Object({ index: Type.Integer(), phoneNumber: Type.String() })),
  rejected: Rejected,
});
export type DoNotCallRemoveResult = Static<typeof DoNotCallRemoveResult>;

export const DoNotCallListQuery = Type.Object({
  phoneNumber: Type.Optional(
    SafeText({
      maxLength: 30,
      description: 'digits the number contains (a full number may carry +86, spaces, dashes)',
    }),
  ),
  ...PageQuery,
});
export type DoNotCallListQuery = Static<typeof DoNotCallListQuery>;

export const DoNotCallEntry = Type.Object({
  phoneNumber: Type.String(),
  reason: NullableString(),
  addedBy: Type.String({ description: 'the appKey that listed it, or cli' }),
  creationTime: Type.String({ description: 'when it was listed, yyyy-MM-dd HH:mm:ss' }),
});
export type DoNotCallEntry = Static<typeof DoNotCallEntry>;

export const DoNotCallPage = Page(DoNotCallEntry);
