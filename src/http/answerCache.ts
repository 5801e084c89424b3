import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../db/database.js';
import { success } from './envelope.js';

/*
 * Answers of the read endpoints, kept serialized and served again while the database's data
 * version is the one they were computed at (`caller.dataVersion`, read as the request was
 * authenticated: db/database.ts on SQLite, the tenant's counters of migration 0026 on PostgreSQL).
 * The version changes with every write that could change an answer, in any process — and not with
 * the bookkeeping every request writes (rate-limit slots, v2 nonces) — so a kept answer is never
 * older than an acknowledged write: it is served only when nothing was written since it was
 * computed. An answer is stamped with the version read before its queries ran, so a write that
 * lands while it is computed leaves the entry behind at once.
 *
 * Only the envelope's requestId differs between two requests; it is spliced into the kept answer.
 * Answers are kept as the bytes sent (UTF-8): sent again, they need no encoding, which for a
 * Chinese answer of a few kilobytes cost more than the rest of a hit's work.
 */

interface Kept {
  version: string;
  /** The serialized envelope before and after the requestId's JSON string, in UTF-8. */
  head: Buffer;
  tail: Buffer;
}

/** The kept answers, per database handle, up to a budget of bytes; the least recently used go first. */
class AnswerCache {
  private readonly kept = new Map<string, Kept>();
  private bytes = 0;

  constructor(private readonly budgetBytes: number) {}

  get(key: string, version: string): Kept | undefined {
    const kept = this.kept.get(key);
    if (kept === undefined) return undefined;
    this.kept.delete(key);
    if (kept.version !== version) {
      this.bytes -= kept.head.length + kept.tail.length;
      return undefined;
    }
    this.kept.set(key, kept); // most recently used last
    return kept;
  }

  set(key: string, kept: Kept): void {
    const size = kept.head.length + kept.tail.length;
    if (size > this.budgetBytes / 16) return;
    const old = this.kept.get(key);
    if (old) {
      this.kept.delete(key);
      this.bytes -= old.head.length + old.tail.length;
    }
    this.kept.set(key, kept);
    this.bytes += size;
    for (const [k, v] of this.kept) {
      if (this.bytes <= this.budgetBytes) break;
      this.kept.delete(k);
      this.bytes -= v.head.length + v.tail.length;
    }
  }
}

const caches = new WeakMap<Database, AnswerCache>();

/**
 * Sets how many megabytes of answers are kept for this database (the app does, from
 * ANSWER_CACHE_MB). 0 keeps nothing, so every read runs its queries.
 */
export function keepAnswers(db: Database, megabytes: number): void {
  if (megabytes > 0) caches.set(db, new AnswerCache(megabytes * 1024 * 1024));
  else caches.delete(db);
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Answers a signed read with the success envelope of `compute()`'s data, served from the kept
 * answer when the data version has not changed since it was computed. The answer depends only on
 * the route, the caller's tenant and time zone, and the validated parameters (`params`).
 */
export async function cachedAnswer<T>(
  db: Database,
  request: FastifyRequest,
  reply: FastifyReply,
  params: unknown,
  compute: () => Promise<T>,
  resultMsg?: string,
): Promise<SuccessEnvelope<T>> {
  const { caller } = request;
  const version = caller.dataVersion;
  const cache = caches.get(db);
  if (version === undefined || cache === undefined) return success(request, await compute(), resultMsg);
  const schema = request.routeOptions.schema;
  const known = knownPart(params, params === request.body ? schema?.body : schema?.querystring);
  const key = `${request.routeOptions.url}\n${caller.tenantId}\n${caller.timeZone}\n${JSON.stringify(known)}`;
  const kept = cache.get(key, version);
  if (kept) {
    const id = Buffer.from(JSON.stringify(request.id));
    return serialized(
      reply,
      Buffer.concat([kept.head, id, kept.tail], kept.head.length + id.length + kept.tail.length),
    );
  }

  const envelope = success(request, await compute(), resultMsg);
  const serialize = reply.getSerializationFunction('200') as ((payload: unknown) => string) | undefined;
  if (!serialize) return envelope;
  const text = serialize(envelope);
  // The envelope's fields after `data` are fixed: its requestId is the last one in the text.
  const id = `"requestId":${JSON.stringify(request.id)}`;
  const at = text.lastIndexOf(id);
  if (at < 0) return serialized(reply, text);
  const valueAt = at + '"requestId":'.length;
  cache.set(key, {
    version,
    head: Buffer.from(text.slice(0, valueAt)),
    tail: Buffer.from(text.slice(valueAt + JSON.stringify(request.id).length)),
  });
  return serialized(reply, text);
}

interface KnownSchema {
  properties?: Record<string, KnownSchema>;
  items?: KnownSchema;
}

/**
 * The part of validated parameters their schema declares: the fields an answer can depend on.
 * Unknown fields (validation keeps them) never reach the key, so they neither split the cache
 * nor cost work to serialize.
 */
export function knownPart(value: unknown, schema: unknown): unknown {
  const s = schema as KnownSchema | undefined;
  if (s === undefined || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return s.items ? value.map((v) => knownPart(v, s.items)) : value;
  if (!s.properties) return value;
  const out: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(s.properties)) {
    const v = (value as Record<string, unknown>)[name];
    if (v !== undefined) out[name] = knownPart(v, property);
  }
  return out;
}

type SuccessEnvelope<T> = ReturnType<typeof success<T>>;

/** A string or bytes returned with the JSON type set are sent as they are: the envelope, already serialized. */
function serialized<T>(reply: FastifyReply, answer: string | Buffer): SuccessEnvelope<T> {
  reply.type(JSON_TYPE);
  return answer as unknown as SuccessEnvelope<T>;
}
