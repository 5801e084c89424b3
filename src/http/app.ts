import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  LogController,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { ServiceError } from '../domain/errors.js';
import { INPUT_KEYWORDS } from '../schemas/keywords.js';
import { type Housekeeping, startHousekeeping } from '../services/housekeeping.js';
import { keepAnswers } from './answerCache.js';
import { installAuditLog } from './audit.js';
import { installAuthentication } from './authentication.js';
import { readJsonBody } from './bodyLimits.js';
import { registerConsole } from './console/index.js';
import { registerDocs } from './docs.js';
import { installEngineAuthentication } from './engineAuthentication.js';
import { newRequestId } from './envelope.js';
import { installErrorHandlers } from './errors.js';
import { installOperations, registerProbeRoutes, serverOptions } from './operations.js';
import { registerAddCallRecords } from './routes/addCallRecords.js';
import { registerAuditLog } from './routes/auditLog.js';
import { registerCallbacks } from './routes/callbacks.js';
import { registerCallDetail } from './routes/callDetail.js';
import { registerCreateJob } from './routes/createJob.js';
import { registerDoNotCall } from './routes/doNotCall.js';
import { registerEngineProtocol } from './routes/engine/index.js';
import { registerGetCallRecordInfoList } from './routes/getCallRecordInfoList.js';
import { registerGetTaskDetail } from './routes/getTaskDetail.js';
import { registerGetTasks } from './routes/getTasks.js';
import { registerImportTaskCustomer } from './routes/importTaskCustomer.js';
import { registerJobLifecycle } from './routes/jobLifecycle.js';
import { registerLaterApi } from './routes/later/index.js';
import { registerReferenceData } from './routes/referenceData.js';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface AppDependencies {
  database: Database;
  config: Config;
  /** The clock signatures are checked against. */
  now?: () => number;
  /** false for silence (tests), otherwise pino options. */
  logger?: boolean | Record<string, unknown>;
  /** More routes (e.g. the benchmark's), registered after the API's: they get the same hooks and error handling. */
  plugins?: readonly FastifyPluginAsyncTypebox[];
  /** Between two purges of expired rows (services/housekeeping.ts); tests shorten it. */
  housekeepingIntervalMs?: number;
}

export async function buildApp(deps: AppDependencies): Promise<App> {
  const { database, config } = deps;
  const now = deps.now ?? Date.now;
  const app = Fastify({
    // Timeouts, body limit, log, trustProxy, Node's and the router's refusals (operations.ts).
    ...serverOptions(config, deps.logger),
    genReqId: newRequestId,
    // One line per request (requestLog.ts) instead of Fastify's two.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    // Scalars are coerced, lists never (schemas/keywords.ts); range checks run on every number, so a
    // coerced "Infinity" fails them (Ajv's strictNumbers would skip them after coercing).
    ajv: {
      customOptions: {
        coerceTypes: true,
        strictNumbers: false,
        keywords: INPUT_KEYWORDS,
        removeAdditional: true,
        useDefaults: true,
        allErrors: false,
      },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Clients send `Content-Type: application/json` on GETs with no body: an empty body is an empty object.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = String(body);
    // Kept only for a v2 signature still to check (it signs the body), and only until it is checked.
    if (request.pendingSignature || request.pendingEngineSignature) request.rawBody = text;
    if (text.trim() === '') return done(null, {});
    try {
      // Depth bounded, nulls of declared fields removed (bodyLimits.ts).
      done(null, readJsonBody(text, request.routeOptions.schema?.body));
    } catch (thrown) {
      if (thrown instanceof ServiceError) return done(thrown, undefined);
      const error = Object.assign(new Error('body is not valid JSON'), {
        statusCode: 400,
        code: 'FST_ERR_CTP_INVALID_JSON_BODY',
      });
      done(error, undefined);
    }
  });

  // An empty query parameter (`status=`) means the parameter is absent.
  app.addHook('preValidation', async (request) => {
    const query = request.query as Record<string, unknown> | undefined;
    if (query) for (const key of Object.keys(query)) if (query[key] === '') delete query[key];
  });

  const routeMethods = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const set = routeMethods.get(route.url) ?? new Set<string>();
    for (const m of methods) if (m !== 'HEAD') set.add(m);
    routeMethods.set(route.url, set);
  });
  // The signature and the rate limit of the signed routes (./authentication.ts).
  installAuthentication(app, { database, config, now });
  // The engine routes' (`config: { engine: true }`): engine keys, v2 (./engineAuthentication.ts).
  installEngineAuthentication(app, { database, config, now });

  installErrorHandlers(app, routeMethods);
  installAuditLog(app, database, now);
  // Before the routes: their body limits, log line and metrics are set up as they are added.
  installOperations(app, { database, config });
  // Before the routes: the OpenAPI document is collected from them as they are registered.
  await registerDocs(app, config);
  // After the docs plugin, which lists them (unsigned).
  registerProbeRoutes(app);

  const db = database;
  keepAnswers(db, config.answerCacheMb);
  registerGetTasks(app, db);
  registerGetTaskDetail(app, db);
  registerGetCallRecordInfoList(app, db);
  registerCallDetail(app, db);
  registerReferenceData(app, db);
  registerCreateJob(app, db);
  registerJobLifecycle(app, db);
  registerImportTaskCustomer(app, db);
  registerAddCallRecords(app, db);
  registerDoNotCall(app, db);
  registerAuditLog(app, db);
  registerLaterApi(app, db);
  registerCallbacks(app, db);
  registerEngineProtocol(app, db, config);
  registerConsole(app, { database, config, now });
  for (const plugin of deps.plugins ?? []) await app.register(plugin);

  // Expired nonces, console sessions and sign-in failures, purged while the app runs.
  let housekeeping: Housekeeping | undefined;
  app.addHook('onReady', async () => {
    housekeeping = startHousekeeping(database, {
      sessionIdleMs: config.consoleSessionIdleMs,
      loginWindowMs: config.consoleLoginWindowMs,
      now,
      log: app.log,
      intervalMs: deps.housekeepingIntervalMs,
    });
  });
  app.addHook('onClose', async () => {
    await housekeeping?.stop();
  });

  await app.ready();
  return app;
}
