import { type Static, Type } from '@sinclair/typebox';
import { DialogFlowDefinition } from '../../domain/dialogFlow.js';
import { DialogFlowStatus, Industry, SubIndustry } from '../../domain/enums.js';
import { EnumInput, EnumName, Id, InputObject, Int, MAX_ID, NullableInteger, SafeText } from '../common.js';

/*
 * outcall's extensions of the later API's dialogFlow/ (docs/dialog-flows.md): write, version, copy,
 * disable and read dialog flows. The platform documents only getDialogFlowList,
 * getDialogFlowCallJobRelatedInfo and exportDialogFlowWordDoc; these follow its naming and envelope.
 */

export const MAX_VERSION = 1_000_000;

const FlowName = SafeText({ minLength: 1, maxLength: 100, description: '话术名称' });

export const CreateDialogFlowBody = InputObject({
  name: FlowName,
  industry: Type.Optional(EnumInput(Industry, '一级行业 (default OTHER)')),
  subIndustry: Type.Optional(EnumInput(SubIndustry, '二级行业 (default OTHER)')),
  intentLevelTagId: Type.Optional(Id('意向标签分组id (default: the tenant’s built-in group)')),
  flow: DialogFlowDefinition,
});
export type CreateDialogFlowBody = Static<typeof CreateDialogFlowBody>;

export const UpdateDialogFlowBody = InputObject({
  dialogFlowId: Id('话术ID'),
  name: Type.Optional(FlowName),
  flow: Type.Optional(DialogFlowDefinition),
  baseVersion: Type.Optional(
    Int(1, MAX_VERSION, {
      description:
        'the version the edit was made from: refused (412) if the flow has moved on since, so that two editors do not overwrite each other',
    }),
  ),
});
export type UpdateDialogFlowBody = Static<typeof UpdateDialogFlowBody>;

export const CopyDialogFlowBody = InputObject({
  dialogFlowId: Id('话术ID: the flow to copy'),
  version: Type.Optional(Int(1, MAX_VERSION, { description: 'the version to copy (default: the current one)' })),
  name: Type.Optional(FlowName),
});
export type CopyDialogFlowBody = Static<typeof CopyDialogFlowBody>;

export const DialogFlowIdBody = InputObject({ dialogFlowId: Id('话术ID') });
export type DialogFlowIdBody = Static<typeof DialogFlowIdBody>;

export const DialogFlowDetailQuery = InputObject({
  dialogFlowId: Int(0, MAX_ID, { description: '话术ID' }),
  version: Type.Optional(Int(1, MAX_VERSION, { description: 'the version to show (default: the current one)' })),
});
export type DialogFlowDetailQuery = Static<typeof DialogFlowDetailQuery>;

export const DialogFlowVersionsQuery = InputObject({ dialogFlowId: Int(0, MAX_ID, { description: '话术ID' }) });
export type DialogFlowVersionsQuery = Static<typeof DialogFlowVersionsQuery>;

export const DialogFlowVersionRef = Type.Object({
  dialogFlowId: Type.Integer({ description: '话术ID' }),
  version: Type.Integer({ description: 'the flow’s version' }),
});
export type DialogFlowVersionRef = Static<typeof DialogFlowVersionRef>;

export const DialogFlowDetail = Type.Object({
  dialogFlowId: Type.Integer({ description: '话术ID' }),
  name: Type.String({ description: '话术名称' }),
  industry: EnumName(Industry, '一级行业'),
  subIndustry: EnumName(SubIndustry, '二级行业'),
  intentLevelTagId: NullableInteger({ description: '意向标签分组id' }),
  status: EnumName(DialogFlowStatus, '话术状态'),
  enabled: Type.Boolean({ description: 'false once disabled: no new job may use it' }),
  currentVersion: Type.Integer({ description: 'the version new jobs get' }),
  version: Type.Integer({ description: 'the version shown' }),
  versionCreateTime: Type.String({
    description: 'when the version shown was made, yyyy-MM-dd HH:mm:ss (tenant-local)',
  }),
  createTime: Type.String({ description: '创建时间 of the flow, yyyy-MM-dd HH:mm:ss (tenant-local)' }),
  variables: Type.Array(Type.String(), {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the variable syntax, literally
    description: 'the ${name} variables the version’s robot lines use, filled from each customer’s properties',
  }),
  flow: DialogFlowDefinition,
});
export type DialogFlowDetail = Static<typeof DialogFlowDetail>;

export const DialogFlowVersionList = Type.Array(
  Type.Object({
    version: Type.Integer(),
    createTime: Type.String({ description: 'yyyy-MM-dd HH:mm:ss (tenant-local)' }),
    current: Type.Boolean({ description: 'the version new jobs get' }),
  }),
);
export type DialogFlowVersionList = Static<typeof DialogFlowVersionList>;
