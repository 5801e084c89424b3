import type { Config } from '../../../config.js';
import type { Database } from '../../../db/database.js';
import { IntentLevel, ResultStatus, TurnType } from '../../../domain/enums.js';
import { invalidParameter, ServiceError } from '../../../domain/errors.js';
import { Envelope } from '../../../schemas/common.js';
import {
  DialBody,
  DialResult,
  HeartbeatBody,
  HeartbeatResult,
  ReleaseBody,
  ReleaseResult,
  ResultBody,
  ResultResult,
  TurnBody,
  TurnResult,
} from '../../../schemas/engine.js';
import {
  type CallReport,
  dialCallTask,
  heartbeatLeases,
  nextTurnOfLease,
  releaseLeases,
  reportCallResult,
} from '../../../services/callLeases.js';
import type { App } from '../../app.js';
import { success } from '../../envelope.js';
import { ENGINE_PREFIX, ENGINE_TAG, engineOf, leaseSettingsOf } from './common.js';

/** dial, release, heartbeat, result and turn: what an engine says of the leases it holds. */
export function registerLeaseRoutes(app: App, database: Database, config: Config): void {
  const settings = leaseSettingsOf(config);
  const route = { config: { engine: true } } as const;

  app.post(
    `${ENGINE_PREFIX}/dial`,
    {
      ...route,
      schema: {
        summary: 'about to dial: acknowledged before the INVITE, or refused (409: do not call)',
        tags: [ENGINE_TAG],
        body: DialBody,
        response: { 200: Envelope(DialResult) },
      },
    },
    async (request) =>
      success(request, await dialCallTask(database, engineOf(request), request.body.leaseId, settings)),
  );

  app.post(
    `${ENGINE_PREFIX}/release`,
    {
      ...route,
      schema: {
        summary: 'give back leases claimed and not dialled (their tasks are due again at once)',
        tags: [ENGINE_TAG],
        body: ReleaseBody,
        response: { 200: Envelope(ReleaseResult) },
      },
    },
    async (request) => success(request, await releaseLeases(database, engineOf(request), request.body.leaseIds)),
  );

  app.post(
    `${ENGINE_PREFIX}/heartbeat`,
    {
      ...route,
      schema: {
        summary: 'renew live leases; answers which calls to cancel',
        tags: [ENGINE_TAG],
        body: HeartbeatBody,
        response: { 200: Envelope(HeartbeatResult) },
      },
    },
    async (request) =>
      success(request, await heartbeatLeases(database, engineOf(request), request.body.leases, settings)),
  );

  app.post(
    `${ENGINE_PREFIX}/result`,
    {
      ...route,
      schema: {
        summary: 'report a dialled call: outcall derives its result and records it (idempotent by lease)',
        tags: [ENGINE_TAG],
        body: ResultBody,
        response: { 200: Envelope(ResultResult) },
      },
    },
    async (request) => {
      const { leaseId, resultHint, intentLevel, turns, ...facts } = request.body;
      const report: CallReport = {
        ...facts,
        ...(resultHint !== undefined && { resultHint: ResultStatus.parameter(resultHint, 'resultHint') }),
        ...(intentLevel !== undefined && { intentLevel: IntentLevel.parameter(intentLevel, 'intentLevel') }),
        ...(turns !== undefined && {
          turns: turns.map((t, i) => ({ type: TurnType.parameter(t.type, `turns[${i}].type`), text: t.text })),
        }),
      };
      const engine = engineOf(request);
      try {
        return success(
          request,
          await reportCallResult(database, engine, leaseId, report, Date.now(), { settings, log: request.log }),
          '执行成功',
        );
      } catch (error) {
        // A result outcall could not take (late, after the lease was reaped as lost; or out of turn) is logged.
        if (error instanceof ServiceError && error.resultCode === 409)
          request.log.warn({ leaseId, engine: engine.name, reason: error.reason }, 'engine result refused');
        throw error;
      }
    },
  );

  app.post(
    `${ENGINE_PREFIX}/turn`,
    {
      ...route,
      schema: {
        summary:
          'the robot’s next line on a dialled call, from the job’s dialog flow (for engines without dialog logic)',
        tags: [ENGINE_TAG],
        body: TurnBody,
        response: { 200: Envelope(TurnResult) },
      },
    },
    async (request) => {
      const { leaseId, turns, utterance, hungUp } = request.body;
      if (hungUp === true && utterance !== undefined)
        throw invalidParameter('utterance', 'must be absent when hungUp is true');
      if (hungUp !== true && utterance === undefined)
        throw invalidParameter('utterance', 'is required unless hungUp is true');
      const conversation = turns.map((t, i) => ({
        type: TurnType.parameter(t.type, `turns[${i}].type`),
        text: t.text,
      }));
      const step = await nextTurnOfLease(database, engineOf(request), leaseId, conversation, utterance ?? null);
      return success(request, step);
    },
  );
}
