import type { Static } from '@sinclair/typebox';
import type { HangupBy, IntentLevel, LaterCallTaskStatus, LaterResultStatus, ReadStatus } from '../../domain/enums.js';
import type { PageOf } from '../../schemas/common.js';
import type {
  DeleteCallTaskListQuery as DeleteCallTaskListQuerySchema,
  LaterCallDetail,
  LaterCallRecordItem,
  LaterCallRecordListBody as LaterCallRecordListBodySchema,
  ToBeCalledItem,
  ToBeCalledQuery as ToBeCalledQuerySchema,
} from '../../schemas/later/callRecords.js';
import type { CallOptions } from '../client.js';
import { LATER_BASE, type Send } from './resource.js';

/** T with the fields of U replaced by narrower types. */
type Narrow<T, U extends Partial<Record<keyof T, unknown>>> = Omit<T, keyof U> & U;

/** callRecord/getCallRecordInfoList: the filters of one job's finished calls; enums narrowed to their names. */
export type LaterCallRecordListBody = Narrow<
  Static<typeof LaterCallRecordListBodySchema>,
  {
    hangupBy?: HangupBy | null;
    resultStatuses?: LaterResultStatus[] | null;
    intentLevels?: IntentLevel[] | null;
    readStatus?: ReadStatus | null;
  }
>;
export type LaterCallRecordPage = PageOf<LaterCallRecordItem>;
export type { LaterCallDetail, LaterCallRecordItem, ToBeCalledItem };

/** callRecord/toBeCalledList: one job's call tasks not finished yet. */
export type ToBeCalledQuery = Narrow<Static<typeof ToBeCalledQuerySchema>, { taskStatus?: LaterCallTaskStatus }>;
export type ToBeCalledPage = PageOf<ToBeCalledItem>;

/**
 * callRecord/deleteRobotCallTaskList: `robotCallTaskIds` as numbers (sent comma-separated); when
 * given, the other filters are ignored.
 */
export type DeleteRobotCallTaskListQuery = Omit<
  Static<typeof DeleteCallTaskListQuerySchema>,
  'robotCallTaskIds' | 'taskStatus'
> & { robotCallTaskIds?: number[]; taskStatus?: LaterCallTaskStatus };

/** The later API's callRecord/ paths: finished calls and the call tasks still to be called. */
export class CallRecordResource {
  constructor(private readonly send: Send) {}

  /** 获取已经完成任务电话号码: one page of a job's finished calls, newest first (a POST that only reads: retried). */
  getCallRecordInfoList(body: LaterCallRecordListBody, options?: CallOptions): Promise<LaterCallRecordPage> {
    return this.send('POST', `${LATER_BASE}/callRecord/getCallRecordInfoList`, { ...options, body });
  }

  /** 获取一个通话的详情: one call with its customer and transcript. */
  callDetail(callRecordId: number, options?: CallOptions): Promise<LaterCallDetail> {
    return this.send('GET', `${LATER_BASE}/callRecord/callDetail`, { ...options, query: { callRecordId } });
  }

  /** 获取未完成任务电话号码: one page of a job's call tasks not finished yet, in import order. */
  toBeCalledList(query: ToBeCalledQuery, options?: CallOptions): Promise<ToBeCalledPage> {
    return this.send('GET', `${LATER_BASE}/callRecord/toBeCalledList`, { ...options, query });
  }

  /** 从未呼客户列表中删除单个客户: removes one call task not yet called; answers its id. Not retried by default. */
  deleteRobotCallTask(robotCallTaskId: number, options?: CallOptions): Promise<number> {
    return this.send('POST', `${LATER_BASE}/callRecord/deleteRobotCallTask`, {
      retries: 0,
      ...options,
      body: { robotCallTaskId },
    });
  }

  /** 从未呼客户列表中批量删除待呼客户名单: removes a job's call tasks not yet called; answers how many. Not retried by default. */
  deleteRobotCallTaskList(query: DeleteRobotCallTaskListQuery, options?: CallOptions): Promise<number> {
    const { robotCallTaskIds, ...rest } = query;
    return this.send('GET', `${LATER_BASE}/callRecord/deleteRobotCallTaskList`, {
      retries: 0,
      ...options,
      query: { ...rest, robotCallTaskIds: robotCallTaskIds?.length ? robotCallTaskIds.join(',') : undefined },
    });
  }
}
