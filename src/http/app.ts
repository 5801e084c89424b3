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
import { authenticate, type Caller } from '../services/auth.js';
import { registerDocs } from './docs.js';
import { newRequestId } from './envelope.js';
import { installErrorHandlers } from './errors.js';
import { registerAddCallRecords } from './routes/addCallRecords.js';
import { registerCallDetail } from './routes/callDetail.js';
import { registerCreateJob } from './routes/createJob.js';
import { registerGetCallRecordInfoList } from './routes/getCallRecordInfoList.js';
import { registerGetTaskDetail } from './routes/getTaskDetail.js';
import { registerGetTasks } from './routes/getTasks.js';
import { registerImportTaskCustomer } from './routes/importTaskCustomer.js';
import { registerJobLifecycle } from './routes/jobLifecycle.js';
import { registerReferenceData } from './routes/referenceData.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on signed routes: the tenant the request speaks for. */
    caller: Caller;
  }
  interface FastifyContextConfig {
    /** The route needs the platform's signature headers. */
    signed?: boolean;
  }
}

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
}

export async function buildApp(deps: AppDependencies): Promise<App> {
  const { database, config } = deps;
  const now = deps.now ?? Date.now;
  const app = Fastify({
    logger: deps.logger ?? {
      level: config.logLevel,
      // The default request serializer logs no headers; should anyone log them, secrets stay out.
      redact: ['req.headers.appsecret', 'req.headers.tenantsign', 'req.headers.signature'],
    },
    genReqId: newRequestId,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: 4 * 1024 * 1024,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: true, useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Clients send `Content-Type: application/json` on GETs with no body: an empty body is an empty object.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      const error = Object.assign(new Error('body is not valid JSON'), {
        statusCode: 400,
        code: 'FST_ERR_CTP_INVALID_JSON_BODY',
      });
      done(error, undefined);
    }
  });

  app.decorateRequest('caller', null as unknown as Caller);

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
    if (route.config?.signed) {
      const existing = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : [];
      route.onRequest = [
        async (request) => {
          const h = request.headers;
          const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
          request.caller = await authenticate(
            database,
            {
              appKey: one(h.appkey),
              version: one(h.version),
              timestamp: one(h.timestamp),
              signature: one(h.signature),
            },
            now(),
            config.signatureWindowMs,
          );
        },
        ...existing,
      ];
    }
  });

  installErrorHandlers(app, routeMethods);
  // Before the routes: the OpenAPI document is collected from them as they are registered.
  await registerDocs(app, config);

  const db = database;
  registerGetTasks(app, db);
  registerGetTaskDetail(app, db);
  registerGetCallRecordInfoList(app, db);
  registerCallDetail(app, db);
  registerReferenceData(app, db);
  registerCreateJob(app, db);
  registerJobLifecycle(app, db);
  registerImportTaskCustomer(app, db);
  registerAddCallRecords(app, db);
  for (const plugin of deps.plugins ?? []) await app.register(plugin);

  await app.ready();
  return app;
}
