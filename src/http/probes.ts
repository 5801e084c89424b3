import { statSync } from 'node:fs';
import { sql } from 'kysely';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from '../config.js';
import { type Database, poolStats } from '../db/database.js';
import { migrationStatus } from '../db/migrate.js';
import type { DialerStats } from '../dialer/dialer.js';
import { lineMetrics } from '../services/phoneLines.js';
import type { App } from './app.js';
import type { ConnectionGuard } from './connections.js';

/*
 * Probes and metrics, outside the signed API and the OpenAPI document:
 * - GET /healthz: the process is alive and answering (200).
 * - GET /readyz: the database answers within READY_TIMEOUT_MS and its migrations are current;
 *   otherwise, and from the moment shutdown starts, HTTP 503 with the reason (for a database
 *   error, only "database unavailable": the error itself is logged).
 * - GET /metrics: Prometheus text. Each app has its own registry (several apps in one process —
 *   tests — do not clash). Requests are counted by route pattern (never the raw URL) and
 *   envelope code; a background worker adds its figures with `metrics.addSource`.
 * PROBES_ENABLED=false and METRICS_ENABLED=false leave them out.
 */

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';
export const METRICS_PATH = '/metrics';

const READY_TIMEOUT_MS = 2000;

/** One value of a labelled metric. */
export interface LabelledValue {
  labels: Record<string, string>;
  value: number;
}

/** Figures a component reports, read at each scrape: gauges (a level) or counters (a running total). */
export interface MetricSource {
  /** Metric names start with this, e.g. `outcall_dialer`. */
  prefix: string;
  /** `labelNames`: the metric has one value per set of labels (read answers a list for it). */
  metrics: Record<string, { help: string; type: 'gauge' | 'counter'; labelNames?: string[] }>;
  /** The current value of each metric named in `metrics`: a number, or for a labelled metric its values. */
  read(): Record<string, number | LabelledValue[]>;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'code'>;
  private readonly durations: Histogram<'method' | 'route' | 'code'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'outcall_http_requests_total',
      help: 'Requests answered, by route pattern and code (the envelope code under /apiOpen/, else the HTTP status)',
      labelNames: ['method', 'route', 'code'],
      registers: [this.registry],
    });
    this.durations = new Histogram({
      name: 'outcall_http_request_duration_seconds',
      help: 'Time from the request to the end of its answer, by route pattern and code',
      labelNames: ['method', 'route', 'code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
  }

  observeRequest(method: string, route: string, code: number, seconds: number): void {
    const labels = { method, route, code: String(code) };
    this.requests.inc(labels);
    this.durations.observe(labels, seconds);
  }

  /** Adds a component's figures (the dialer, a background worker), read when /metrics is scraped. */
  addSource(source: MetricSource): void {
    for (const [name, { help, type, labelNames = [] }] of Object.entries(source.metrics)) {
      // A plain metric is the one value without labels.
      const read = (): LabelledValue[] => {
        const v = source.read()[name] ?? 0;
        return typeof v === 'number' ? [{ labels: {}, value: v }] : v;
      };
      const fullName = `${source.prefix}_${name}`;
      if (type === 'gauge') {
        new Gauge({
          name: fullName,
          help,
          labelNames,
          registers: [this.registry],
          collect() {
            // Label sets gone since the last scrape go too.
            if (labelNames.length > 0) this.reset();
            for (const { labels, value } of read()) this.set(labels, value);
          },
        });
      } else {
        new Counter({
          name: fullName,
          help,
          labelNames,
          registers: [this.registry],
          collect() {
            // A running total kept by the component: shown as it is.
            this.reset();
            for (const { labels, value } of read()) this.inc(labels, value);
          },
        });
      }
    }
  }
}

/** Database figures: PostgreSQL's pool, or the size of the SQLite file and its write-ahead log. */
function databaseSource(database: Database): MetricSource {
  if (database.dialect === 'postgres') {
    return {
      prefix: 'outcall_database_pool',
      metrics: {
        connections: { help: 'Connections open in the pool', type: 'gauge' },
        idle: { help: 'Open connections not in use', type: 'gauge' },
        waiting: { help: 'Queries waiting for a connection', type: 'gauge' },
      },
      read: () => {
        const s = poolStats(database);
        return { connections: s?.total ?? 0, idle: s?.idle ?? 0, waiting: s?.waiting ?? 0 };
      },
    };
  }
  const size = (file: string) => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  return {
    prefix: 'outcall_database',
    metrics: { file_bytes: { help: 'Size of the SQLite file and its write-ahead log', type: 'gauge' } },
    read: () => ({ file_bytes: size(database.location) + size(`${database.location}-wal`) }),
  };
}

/** The dialer's figures (Dialer.stats). */
export function dialerMetrics(dialer: { stats(): DialerStats }): MetricSource {
  return {
    prefix: 'outcall_dialer',
    metrics: {
      jobs: { help: 'Jobs the last tick looked after', type: 'gauge' },
      calls_in_flight: { help: 'Calls placed and not yet recorded', type: 'gauge' },
      ticks_total: { help: 'Ticks run', type: 'counter' },
      tick_failures_total: { help: 'Ticks that failed (logged as "dialer tick failed")', type: 'counter' },
      calls_abandoned_total: { help: 'Calls given up at shutdown, their call tasks released', type: 'counter' },
    },
    read: () => {
      const s = dialer.stats();
      return {
        jobs: s.jobs,
        calls_in_flight: s.callsInFlight,
        ticks_total: s.ticks,
        tick_failures_total: s.tickFailures,
        calls_abandoned_total: s.callsAbandoned,
      };
    },
  };
}

function connectionSource(connections: ConnectionGuard): MetricSource {
  return {
    prefix: 'outcall_http_connections',
    metrics: {
      open: { help: 'Client connections open', type: 'gauge' },
      waiting: { help: 'Open connections with no request in progress (idle, or sending headers)', type: 'gauge' },
      receiving: { help: 'Open connections whose request body is still arriving', type: 'gauge' },
      max: { help: 'The cap on open connections (MAX_CONNECTIONS, below the file-descriptor limit)', type: 'gauge' },
      evicted_total: { help: 'Idle or slow connections closed to make room for new ones', type: 'counter' },
    },
    read: () => {
      const s = connections.stats();
      return { open: s.open, waiting: s.waiting, receiving: s.receiving, max: s.max, evicted_total: s.evicted };
    },
  };
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export interface Lifecycle {
  /** Set when shutdown starts: /readyz answers 503 so that load balancers stop sending requests. */
  shuttingDown: boolean;
}

/** The readiness check: one at a time (a slow database does not pile checks up on its pool). */
function readinessCheck(database: Database, lifecycle: Lifecycle, log: App['log']): () => Promise<string | undefined> {
  let running: Promise<string | undefined> | undefined;
  const check = async (): Promise<string | undefined> => {
    try {
      await withTimeout(sql`select 1`.execute(database.db), READY_TIMEOUT_MS, 'the database');
      const pending = (await withTimeout(migrationStatus(database), READY_TIMEOUT_MS, 'the database'))
        .filter((m) => m.executedAt === null)
        .map((m) => m.name);
      if (pending.length > 0) return `migrations not applied: ${pending.join(', ')} (run outcall migrate)`;
      return undefined;
    } catch (error) {
      // The probe answers anyone: the driver's text (host names, user names, paths) goes to the log only.
      log.warn({ err: error }, 'readiness check: the database did not answer');
      return 'database unavailable';
    }
  };
  return async () => {
    if (lifecycle.shuttingDown) return 'shutting down';
    running ??= check().finally(() => {
      running = undefined;
    });
    return running;
  };
}

export function registerProbes(
  app: App,
  deps: { database: Database; config: Config; lifecycle: Lifecycle; metrics?: Metrics; connections: ConnectionGuard },
): void {
  const { database, config, lifecycle, metrics } = deps;
  if (config.probesEnabled) {
    const notReady = readinessCheck(database, lifecycle, app.log);
    app.get(HEALTH_PATH, { schema: { hide: true } }, async (_request, reply) =>
      reply.type('application/json').send('{"status":"ok"}\n'),
    );
    app.get(READY_PATH, { schema: { hide: true } }, async (_request, reply) => {
      const reason = await notReady();
      if (reason === undefined) return reply.type('application/json').send('{"status":"ready"}\n');
      return reply
        .code(503)
        .type('application/json')
        .send(`${JSON.stringify({ status: 'not ready', reason })}\n`);
    });
  }
  if (metrics) {
    metrics.addSource(databaseSource(database));
    metrics.addSource(connectionSource(deps.connections));
    // Caller lines disabled after failures in a row (services/phoneLines.ts, wherever results are taken).
    metrics.addSource(lineMetrics);
    app.get(METRICS_PATH, { schema: { hide: true } }, async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
  }
}
