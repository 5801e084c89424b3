import swagger, { type SwaggerTransform } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { API_VERSION } from '../client/signing.js';
import type { Config } from '../config.js';
import type { PlatformEnum } from '../domain/enums.js';
import * as enums from '../domain/enums.js';
import { ErrorEnvelope } from '../schemas/common.js';
import type { App } from './app.js';

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
    ' + hex(SHA-256(body)) ) ). The `outcall/client` SDK computes either.',
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

/** What the docs show of a route: signed routes get the signature requirement and the error envelope beside their success. */
const documentRoute: SwaggerTransform = ({ schema, url, route }) => {
  if (!route.config?.signed || !schema) return { schema, url };
  const response = (schema.response ?? {}) as Record<string, unknown>;
  const success = response[200] ?? response['2xx'];
  return {
    url,
    schema: {
      ...schema,
      security: SIGNED,
      response: {
        ...response,
        200: {
          description:
            'The envelope, always HTTP 200: code 200 with `data`, or an error code (401, 403, 404, 412, 429, 500) with `data: null`.',
          anyOf: success ? [success, ErrorEnvelope] : [ErrorEnvelope],
        },
      },
    },
  };
};

export async function registerDocs(app: App, config: Config): Promise<void> {
  if (!config.docsEnabled) return;
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'outcall Open API', version: API_VERSION, description: DESCRIPTION },
      tags: [{ name: 'task', description: '外呼任务 — jobs, their call records and transcripts' }],
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
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    uiConfig: { docExpansion: 'list', deepLinking: true, defaultModelsExpandDepth: 0 },
    // No validatorUrl: Swagger UI would fetch a badge from validator.swagger.io.
  });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
}
