import type { Database } from '../../../db/database.js';
import { Envelope } from '../../../schemas/common.js';
import {
  DeleteCallTaskBody,
  DeleteCallTaskListQuery,
  DeletedCount,
  LaterCallDetail,
  LaterCallDetailQuery,
  LaterCallRecordListBody,
  LaterCallRecordPage,
  ToBeCalledPage,
  ToBeCalledQuery,
} from '../../../schemas/later/callRecords.js';
import {
  deleteRobotCallTask,
  deleteRobotCallTaskList,
  getLaterCallDetail,
  getLaterCallRecordInfoList,
  getToBeCalledList,
} from '../../../services/laterCallRecords.js';
import type { App } from '../../app.js';
import { success } from '../../envelope.js';

/** The later API's callRecord/: getCallRecordInfoList, callDetail, toBeCalledList, deleteRobotCallTask(List). */
export function registerCallRecordApi(app: App, db: Database): void {
  const tags = ['callRecord'];

  app.post(
    '/apiOpen/v1/callRecord/getCallRecordInfoList',
    {
      // A POST that only reads: no audit log entry.
      config: { signed: true, readOnly: true },
      schema: {
        summary: '获取已经完成任务电话号码 — one job’s finished calls, newest first, with the later filters',
        tags,
        body: LaterCallRecordListBody,
        response: { 200: Envelope(LaterCallRecordPage) },
      },
    },
    async (request) => success(request, await getLaterCallRecordInfoList(db, request.caller, request.body), '获取成功'),
  );

  app.get(
    '/apiOpen/v1/callRecord/callDetail',
    {
      config: { signed: true },
      schema: {
        summary: '获取一个通话的详情 — one call with its customer, transcript and intent-level names',
        tags,
        querystring: LaterCallDetailQuery,
        response: { 200: Envelope(LaterCallDetail) },
      },
    },
    async (request) =>
      success(request, await getLaterCallDetail(db, request.caller, request.query.callRecordId), '执行成功'),
  );

  app.get(
    '/apiOpen/v1/callRecord/toBeCalledList',
    {
      config: { signed: true },
      schema: {
        summary: '获取未完成任务电话号码 — the job’s call tasks not finished yet, in import order',
        tags,
        querystring: ToBeCalledQuery,
        response: { 200: Envelope(ToBeCalledPage) },
      },
    },
    async (request) => success(request, await getToBeCalledList(db, request.caller, request.query), '执行成功'),
  );

  app.post(
    '/apiOpen/v1/callRecord/deleteRobotCallTask',
    {
      config: { signed: true },
      schema: {
        summary: '从未呼客户列表中删除单个客户 — removes one call task not yet called',
        tags,
        body: DeleteCallTaskBody,
        response: { 200: Envelope(DeleteCallTaskBody.properties.robotCallTaskId) },
      },
    },
    async (request) =>
      success(request, await deleteRobotCallTask(db, request.caller, request.body.robotCallTaskId), '删除成功'),
  );

  app.get(
    '/apiOpen/v1/callRecord/deleteRobotCallTaskList',
    {
      // A GET that deletes: audited like the changing methods (http/audit.ts).
      config: { signed: true, changing: true },
      schema: {
        summary: '从未呼客户列表中批量删除待呼客户名单 — removes the job’s call tasks not yet called; answers how many',
        tags,
        querystring: DeleteCallTaskListQuery,
        response: { 200: Envelope(DeletedCount) },
      },
    },
    async (request) => success(request, await deleteRobotCallTaskList(db, request.caller, request.query), '删除成功'),
  );
}
