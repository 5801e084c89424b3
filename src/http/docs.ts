import swagger, { type SwaggerTransform } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { API_VERSION } from '../client/signing.js';
import type { Config } from '../config.js';
import type { PlatformEnum } from '../domain/enums.js';
import * as enums from '../domain/enums.js';
import { ErrorEnvelope } from '../schemas/common.js';
import type { App } from './app.js';
import { DOCS_SIGNING_CSS, DOCS_SIGNING_SCRIPT, type DocsSigningPage } from './docsSigning.js';

/*
 * The OpenAPI 3.1 document (GET /openapi.json) generated from the routes' own TypeBox schemas, and
 * Swagger UI (GET /docs) served from its package's files, so the docs work with no network.
 * Both are public; DOCS_ENABLED=false leaves them out (their paths then get the 404 envelope).
 * Registered before the routes, whose declarations @fastify/swagger collects as they are added.
 */

export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

/** The signature headers, each a security scheme; a signed route needs the four of v1, or those and `nonce` (v2). */
const SIGNATURE_HEADERS = {
  appKey: 'The key (appKey) of one of the tenant’s API keys.',
  version: `The signature version: \`${API_VERSION}\` (the platform's) or \`v2\` (signs method, path, query and body; see docs/signature.md).`,
  timestamp: 'Milliseconds since the epoch; within SIGNATURE_WINDOW_SECONDS (default 300) of the server’s clock.',
  signature:
    'v1: lower-case hex( SHA-256( tenantSign + "appKey=" + appKey + "&appSecret=" + appSecret + "&tenantSign=" + tenantSign' +
    ' + "&version=" + version + "&timestamp=" + timestamp ) ). v2: lower-case hex( HMAC-SHA256( appSecret, "v2\\n" + appKey' +
    ' + "\\n" + timestamp + "\\n" + nonce + "\\n" + METHOD + "\\n" + canonical path + "\\n" + canonical query + "\\n"' +
    ' + hex(SHA-256(body)) ) ). The SDK (`@outcall/sdk`) computes either.',
  nonce: 'v2 only: 16–64 of A–Z a–z 0–9 _ -, new for every request (accepted once per appKey within the window).',
} as const;

const V1_HEADERS = ['appKey', 'version', 'timestamp', 'signature'];
const SIGNED = [V1_HEADERS, [...V1_HEADERS, 'nonce']].map((names) =>
  Object.fromEntries(names.map((name) => [name, [] as string[]])),
);

const DESCRIPTION = `Open API of outcall, wire-compatible with the AI outbound-calling platform's.

**The envelope.** Every endpoint answers HTTP 200 with \`{ code, data, requestId, resultMsg, errorStackTrace }\`:
code 200 carries \`data\`; 401 (校验数据错误: signature), 403 (权限不足: key disabled), 404 (资源未找到),
412 (参数错误: \`resultMsg\` names the parameter), 429 (请求过于频繁) and 500 (未知错误) carry \`data: null\`.

**Signing.** Send the headers \`appKey\`, \`version\`, \`timestamp\` and \`signature\`, and with version \`v2\` a \`nonce\` (see the security schemes).
In Swagger UI at /docs, enter a key once in the form below and "Try it out" signs each request for you.

**Generations.** Operations are grouped by resource and each is marked with its generation: \`[later API]\` (the
platform's API as integrators have used it since 2019), \`[2018 API]\` (its 2018 job queries) or \`[outcall]\` (outcall's
own additions); \`x-generation\` says the same.

**Enums** are accepted as names or numeric codes and answered as names; each is listed under Schemas with its codes and labels.`;

function isPlatformEnum(value: unknown): value is PlatformEnum<string> {
  return typeof value === 'object' && value !== null && 'members' in value && 'describe' in value;
}

/** Every enum of the domain as a schema: the names, with the numeric codes and Chinese labels beside them. */
function enumSchemas(): Record<string, object> {
  const out: Record<string, object> = {};
  for (const [name, e] of Object.entries(enums)) {
    if (!isPlatformEnum(e)) continue;
    out[name] = {
      type: 'string',
      enum: [...e.names],
      description: `${name}: ${e.describe()}. Accepted as the name or the numeric code.`,
      'x-enum-codes': e.members.map((m) => m.code),
      'x-enum-descriptions': e.members.map((m) => m.label),
    };
  }
  return out;
}

/** Which of the API's generations an operation belongs to (its `x-generation`, and its summary's prefix). */
export const GENERATIONS = ['later API', '2018 API', 'outcall'] as const;
export type Generation = (typeof GENERATIONS)[number];

/**
 * The tags, one per resource, in the order /docs shows them: the platform's later API first (what
 * integrators since 2019 use), then the 2018 API, then outcall's own additions.
 */
export const TAGS: readonly { name: string; generation: Generation; description: string }[] = [
  { name: 'tenant', generation: 'later API', description: '租户 — the tenant’s own account.' },
  { name: 'phone', generation: 'later API', description: '线路 — the tenant’s caller lines.' },
  { name: 'dialogFlow', generation: 'later API', description: '话术 — dialog flows, the robot’s scripts.' },
  { name: 'intentLevelTag', generation: 'later API', description: '意向等级标签 — intent level tags.' },
  { name: 'isv', generation: 'later API', description: 'ISV — the tenant’s callback URL and sub-accounts.' },
  {
    name: 'job',
    generation: 'later API',
    description: '任务 — jobs: create, modify, start, pause, stop, delete, import customers, query, statistics.',
  },
  {
    name: 'callRecord',
    generation: 'later API',
    description: '通话记录 — call records, transcripts, calls still to make.',
  },
  { name: 'policyGroup', generation: 'later API', description: '外呼策略组 — call policy groups.' },
  { name: 'callStats', generation: 'later API', description: '话单计费统计 — call cost statistics.' },
  {
    name: 'task',
    generation: '2018 API',
    description: '任务信息查询接口 (2018) — jobs, their call records and transcripts, as the 2018 API has them.',
  },
  {
    name: 'task (outcall)',
    generation: 'outcall',
    description:
      'outcall’s own job operations in the 2018 style (create, start, pause, resume, stop, delete, import customers, ' +
      'dialog flows and caller lines), and the call engines’ reports of finished calls (addCallRecord, addCallRecords).',
  },
  {
    name: 'phone (outcall)',
    generation: 'outcall',
    description:
      '线路管理 — outcall’s own management of the tenant’s caller lines: add, change, disable, enable, one line’s detail (docs/lines.md).',
  },
  { name: 'doNotCall', generation: 'outcall', description: '免打扰名单 — numbers never to dial (outcall’s own).' },
  {
    name: 'auditLog',
    generation: 'outcall',
    description: '操作日志 — the tenant’s changing requests (outcall’s own).',
  },
  {
    name: 'callback',
    generation: 'outcall',
    description: '回调 — pushes to the tenant’s callback URL (outcall’s own).',
  },
  {
    name: 'engine',
    generation: 'outcall',
    description:
      'The call-engine protocol (/engine/v1/, docs/engines.md): engines claim call tasks under leases, dial, ' +
      'heartbeat and report results. Signed with an engine key (v2), not a tenant’s key.',
  },
];

const LATER_RESOURCES = new Set(TAGS.filter((t) => t.generation === 'later API').map((t) => t.name));
const TASKS_2018 = new Set(['getTasks', 'getTaskDetail', 'getCallRecordInfoList', 'callDetail']);
/** outcall's own paths under a later API resource: they belong to outcall, not to the platform. */
const OUTCALL_EXTENSIONS: Record<string, string> = {
  'phone/create': 'phone (outcall)',
  'phone/update': 'phone (outcall)',
  'phone/disable': 'phone (outcall)',
  'phone/enable': 'phone (outcall)',
  'phone/getPhoneDetail': 'phone (outcall)',
};
const PREFIX = /^\[(?:later API|2018 API|outcall)\] /;

/**
 * The tag and generation of an Open API path, from the path alone: `/apiOpen/v1/<resource>/<function>`
 * is the later API's when the resource is one of its own, the 2018 API's for the four 2018 `task`
 * functions, and outcall's otherwise. Other paths have none.
 */
export function classifyPath(url: string): { tag: string; generation: Generation } | undefined {
  if (/^\/engine\/v1\/[^/]+$/.test(url)) return { tag: 'engine', generation: 'outcall' };
  const m = /^\/apiOpen\/v1\/([^/]+)\/[^/]+$/.exec(url);
  if (!m) return undefined;
  const resource = m[1]!;
  const extension = OUTCALL_EXTENSIONS[url.slice('/apiOpen/v1/'.length)];
  if (extension) return { tag: extension, generation: 'outcall' };
  if (LATER_RESOURCES.has(resource)) return { tag: resource, generation: 'later API' };
  if (resource === 'task')
    return TASKS_2018.has(url.slice('/apiOpen/v1/task/'.length))
      ? { tag: 'task', generation: '2018 API' }
      : { tag: 'task (outcall)', generation: 'outcall' };
  return { tag: resource, generation: 'outcall' };
}

/**
 * What the docs show of a route: its tag and generation from its path (whatever tags the route set,
 * so every engineer's routes are grouped alike); signed routes also get the signature requirement
 * and the error envelope beside their success.
 */
const documentRoute: SwaggerTransform = ({ schema, url, route }) => {
  if (!schema) return { schema, url };
  const kind = classifyPath(url);
  const grouped = kind
    ? {
        ...schema,
        tags: [kind.tag],
        summary: `[${kind.generation}] ${String(schema.summary ?? '').replace(PREFIX, '')}`.trim(),
        'x-generation': kind.generation,
      }
    : schema;
  if (!route.config?.signed && !route.config?.engine) return { schema: grouped, url };
  const response = (schema.response ?? {}) as Record<string, unknown>;
  const success = response[200] ?? response['2xx'];
  return {
    url,
    schema: {
      ...grouped,
      // Engine keys sign v2 only (docs/engine-keys.md).
      security: route.config?.engine ? SIGNED.slice(1) : SIGNED,
      response: {
        ...response,
        200: {
          description:
            'The envelope, always HTTP 200: code 200 with `data`, or an error code (401, 403, 404, 409, 412, 429, 500) with `data: null`.',
          anyOf: success ? [success, ErrorEnvelope] : [ErrorEnvelope],
        },
      },
    },
  };
};

type Tag = { name: string; description?: string };

/** The tags in use: the listed ones in their order (those with no operation yet left out), then any other, by name. */
function tagsInUse(document: { paths?: object; tags?: Tag[] }): Tag[] {
  const used = new Set<string>();
  for (const methods of Object.values(document.paths ?? {}))
    for (const op of Object.values(methods as Record<string, { tags?: string[] }>))
      for (const tag of op.tags ?? []) used.add(tag);
  const listed = (document.tags ?? []).filter((t) => used.has(t.name));
  const others = [...used].filter((name) => !listed.some((t) => t.name === name)).sort();
  return [...listed, ...others.map((name) => ({ name }))];
}

/**
 * The page's own scripts and styles only; Swagger UI sets inline styles; requests go to this server
 * only (so nothing typed into the page can be sent elsewhere). No upgrade-insecure-requests: /docs
 * must work over plain HTTP on a LAN address.
 */
const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'self'",
].join('; ');

export async function registerDocs(app: App, config: Config): Promise<void> {
  if (!config.docsEnabled) return;
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'outcall Open API', version: API_VERSION, description: DESCRIPTION },
      tags: TAGS.map(({ name, generation, description }) => ({
        name,
        description: `**${generation}.** ${description}`,
        'x-generation': generation,
      })),
      components: {
        securitySchemes: Object.fromEntries(
          Object.entries(SIGNATURE_HEADERS).map(([name, description]) => [
            name,
            { type: 'apiKey' as const, in: 'header', name, description },
          ]),
        ),
        schemas: {
          ErrorEnvelope: {
            ...ErrorEnvelope,
            description: 'The envelope of a failure (data: null); a success carries its endpoint’s data instead.',
          },
          ...enumSchemas(),
        },
      },
    },
    transform: documentRoute,
    transformObject: (document) =>
      'openapiObject' in document
        ? { ...document.openapiObject, tags: tagsInUse(document.openapiObject as never) }
        : document.swaggerObject,
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    uiConfig: {
      docExpansion: 'list',
      deepLinking: true,
      defaultModelsExpandDepth: 0,
      // Put into the page as their source text, so each names nothing but the signing script's global.
      requestInterceptor: (request) => (globalThis as unknown as DocsSigningPage).outcallDocs.sign(request as never),
      plugins: [(system: unknown) => (globalThis as unknown as DocsSigningPage).outcallDocs.plugin(system)],
    },
    // No validatorUrl: Swagger UI would fetch a badge from validator.swagger.io.
    // The signing script and its style, loaded after Swagger UI and before the page's load event builds it.
    theme: {
      title: 'outcall Open API',
      js: [{ filename: 'signing.js', content: DOCS_SIGNING_SCRIPT }],
      css: [{ filename: 'signing.css', content: DOCS_SIGNING_CSS }],
    },
    staticCSP: DOCS_CSP,
  });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
}
