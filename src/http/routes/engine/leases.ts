import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../../config.js';
import type { Database } from '../../../db/database.js';
import { IntentLevel, ResultStatus, TurnType } from '../../../domain/enums.js';
import { invalidParameter, ServiceError } from '../../../domain/errors.js';
import { Envelope } from '../../../schemas/common.js';
import {
  DialBody,
  DialResult,
  DialsBody,
  DialsResult,
  HeartbeatBody,
  HeartbeatResult,
  ReleaseBody,
  ReleaseResult,
  ResultBody,
  ResultResult,
  ResultsBody,
  ResultsResult,
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

/** A result as sent → the facts the service takes, its enums parsed (a bad one is named by `at`, e.g. results[2].). */
function reportOf(body: ResultBody, at = ''): CallReport {
  const { leaseId: _, resultHint, intentLevel, turns, ...facts } = body;
  return {
    ...facts,
    ...(resultHint !== undefined && { resultHint: ResultStatus.parameter(resultHint, `${at}resultHint`) }),
    ...(intentLevel !== undefined && { intentLevel: IntentLevel.parameter(intentLevel, `${at}intentLevel`) }),
    ...(turns !== undefined && {
      turns: turns.map((t, i) => ({ type: TurnType.parameter(t.type, `${at}turns[${i}].type`), text: t.text })),
    }),
  };
}

/**
 * Each item of a batch answered on its own: its value, or the refusal the single request would
 * have answered (a ServiceError). Anything else (the database failing) fails the whole request:
 * dials and results are idempotent, so the engine sends the batch again.
 */
async function eachSettled<T, A>(
  items: readonly T[],
  run: (item: T) => Promise<A>,
): Promise<({ value: A } | { refusal: ServiceError })[]> {
  const settled = await Promise.allSettled(items.map(run));
  return settled.map((s) => {
    if (s.status === 'fulfilled') return { value: s.value };
    if (s.reason instanceof ServiceError) return { refusal: s.reason };
    throw s.reason;
  });
}

const refusalOf = (error: ServiceError) => ({ resultCode: error.resultCode, reason: error.reason });

/** A result outcall could not take (late, after the lease was reaped as lost; or out of turn) is logged. */
function logRefusedResult(log: FastifyBaseLogger, engine: string, leaseId: string, error: unknown) {
  if (error instanceof ServiceError && error.resultCode === 409)
    log.warn({ leaseId, engine, reason: error.reason }, 'engine result refused');
}

/**
 * dial, release, heartbeat, result and turn: what an engine says of the leases it holds; dials and
 * results also in batches (one request for many leases, each answered on its own).
 */
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
      const { leaseId } = request.body;
      const report = reportOf(request.body);
      const engine = engineOf(request);
      try {
        return success(
          request,
          await reportCallResult(database, engine, leaseId, report, Date.now(), { settings, log: request.log }),
          '执行成功',
        );
      } catch (error) {
        logRefusedResult(request.log, engine.name, leaseId, error);
        throw error;
      }
    },
  );

  app.post(
    `${ENGINE_PREFIX}/dials`,
    {
      ...route,
      schema: {
        summary: 'about to dial many: each lease acknowledged before its INVITE, or refused (dial: false: do not call)',
        tags: [ENGINE_TAG],
        body: DialsBody,
        response: { 200: Envelope(DialsResult) },
      },
    },
    async (request) => {
      const engine = engineOf(request);
      const { leaseIds } = request.body;
      const settled = await eachSettled(leaseIds, (leaseId) => dialCallTask(database, engine, leaseId, settings));
      return success(request, {
        leases: settled.map((s, i) =>
          'value' in s
            ? { leaseId: leaseIds[i]!, dial: true, leaseTtlMs: s.value.leaseTtlMs }
            : { leaseId: leaseIds[i]!, dial: false, leaseTtlMs: 0, ...refusalOf(s.refusal) },
        ),
      });
    },
  );

  app.post(
    `${ENGINE_PREFIX}/results`,
    {
      ...route,
      schema: {
        summary: 'report many dialled calls: each recorded or refused on its own (idempotent by lease)',
        tags: [ENGINE_TAG],
        body: ResultsBody,
        response: { 200: Envelope(ResultsResult) },
      },
    },
    async (request) => {
      const engine = engineOf(request);
      // Every result is checked before any is recorded: a bad one fails the request (412), writing nothing.
      const reports = request.body.results.map((r, i) => ({
        leaseId: r.leaseId,
        report: reportOf(r, `results[${i}].`),
      }));
      const now = Date.now();
      const settled = await eachSettled(reports, ({ leaseId, report }) =>
        reportCallResult(database, engine, leaseId, report, now, { settings, log: request.log }),
      );
      return success(
        request,
        {
          results: settled.map((s, i) => {
            const { leaseId } = reports[i]!;
            if ('value' in s) return { leaseId, accepted: true, ...s.value };
            logRefusedResult(request.log, engine.name, leaseId, s.refusal);
            return { leaseId, accepted: false, callRecordId: null, ...refusalOf(s.refusal) };
          }),
        },
        '执行成功',
      );
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
