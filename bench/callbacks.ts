import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { CallbackDispatcher, dispatcherSettings } from '../src/callbacks/dispatcher.js';
import { loadConfig } from '../src/config.js';
import { createDatabase, type Database } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { localDate } from '../src/domain/time.js';
import { countPendingCallbacks } from '../src/repositories/callbacks.js';
import { insertJob } from '../src/repositories/jobs.js';
import { listDialogFlows } from '../src/repositories/referenceData.js';
import { redeliverCallbacks, setCallbackUrl } from '../src/services/callbacks.js';
import { type FinishedCall, recordFinishedCalls } from '../src/services/callResults.js';
import { createTenant } from '../src/services/tenants.js';

/*
 * `npm run bench -- --callbacks [--db postgres]`: the callback scenario on its own, over a fresh
 * database, in this process (the write path and the dispatcher are measured, not HTTP parsing):
 * 1. ingestion with callbacks on vs off: batches of 5,000 calls recorded through the one write
 *    path for a tenant without a callback URL and one with, alternately (same run, same data
 *    shape), and the ratio of their times (target ≤ 1.15);
 * 2. delivery rate: every event of (1) delivered to a local receiver answering `success`, with the
 *    default settings (target ≥ 2,000 events/s on SQLite);
 * 3. receiver down: calls ingested and attempted while nothing listens (every attempt refused),
 *    RSS sampled throughout; then the receiver is back and one redelivery of the day's range gets
 *    every event there.
 */

export interface CallbackBenchResult {
  db: string;
  batch: number;
  batches: number;
  ingestOffMs: number;
  ingestOnMs: number;
  ratio: number;
  delivered: number;
  deliveryMs: number;
  eventsPerSecond: number;
  downEvents: number;
  downMaxRssMb: number;
  redeliverMs: number;
  redeliveredAll: boolean;
}

const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

function calls(jobId: number, prefix: string, n: number): FinishedCall[] {
  const start = Date.now() - 3_600_000;
  return Array.from({ length: n }, (_, i) => ({
    idempotencyKey: `${prefix}-${i}`,
    robotCallJobId: jobId,
    calledPhoneNumber: `139${String(i % 100_000_000).padStart(8, '0')}`,
    resultStatus: i % 3 === 0 ? 'NO_ANSWER' : 'ANSWERED',
    intentLevel: i % 3 === 0 ? 'E' : 'B',
    customerConcern: i % 5 === 0 ? ['价格'] : [],
    analysisBasis: '',
    startTime: start + i,
    endTime: start + i + 40_000,
    chatDuration: i % 3 === 0 ? 0 : 35,
    chatRound: i % 3 === 0 ? 0 : 4,
    turns:
      i % 3 === 0
        ? []
        : [
            { type: 'ROBOT', text: '您好，我是悦动健身的客服，想问下您最近还有健身的打算吗？' },
            { type: 'PERSON', text: '有的，价格怎么样' },
            { type: 'ROBOT', text: '现在续卡有八折优惠，我给您发个短信详细介绍一下可以吗？' },
            { type: 'PERSON', text: '可以' },
          ],
  }));
}

async function job(db: Database, tenantId: number): Promise<number> {
  const [flow] = await listDialogFlows(db, tenantId);
  const now = Date.now();
  return insertJob(
    db,
    {
      tenant_id: tenantId,
      dialog_flow_id: flow!.id,
      name: 'callbacks bench',
      mode: 'MANUAL',
      robot_count: 5,
      sms_template_id: null,
      phone_type: 'LANDLINE',
      daily_start_time: '00:00:00',
      daily_end_time: '23:59:59',
      description: null,
      wechat_alert_level: [],
      sms_alert_level: [],
      alert_users: [],
      early_warning_alert_users: [],
      wechat_send_method: 'SENDTOALL',
      status: 'IN_PROCESS',
      start_time: now,
      next_start_time: null,
      system_pause_next_start: null,
      redial_times: 0,
      created_by_user_id: null,
      organization_id: null,
      created_at: now,
      last_modified_at: now,
    } as unknown as Parameters<typeof insertJob>[1],
    [],
  );
}

async function listen(port = 0): Promise<{ server: Server; url: string; count: () => number }> {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      n++;
      res.end('success');
    });
  });
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  const address = server.address();
  const p = typeof address === 'object' && address ? address.port : 0;
  return { server, url: `http://127.0.0.1:${p}/hook`, count: () => n };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
}

async function freshDatabase(dialect: 'sqlite' | 'postgres', adminUrl: string) {
  if (dialect === 'postgres') {
    const name = `outcall_bench_callbacks_${process.pid}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${name}`);
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const database = createDatabase(url.toString(), { poolSize: 10 });
    return {
      database,
      drop: async () => {
        await database.destroy();
        const c = new pg.Client({ connectionString: adminUrl });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'outcall-bench-callbacks-'));
  const database = createDatabase(`sqlite:${join(dir, 'bench.db')}`);
  return {
    database,
    drop: async () => {
      await database.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitDelivered(db: Database, ms: number): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < ms; ) {
    if ((await countPendingCallbacks(db, Date.now() + 86_400_000)).pending === 0) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

export async function runCallbackBench(options: {
  db: 'sqlite' | 'postgres';
  postgresUrl: string;
  batches?: number;
  batch?: number;
}): Promise<CallbackBenchResult> {
  const batch = options.batch ?? 5000;
  const batches = options.batches ?? Number(process.env.BENCH_CALLBACK_BATCHES ?? 6);
  const { database: db, drop } = await freshDatabase(options.db, options.postgresUrl);
  try {
    await migrateToLatest(db);
    const off = await createTenant(db, { name: '回调关', tenantSign: 'cboff' });
    const on = await createTenant(db, { name: '回调开', tenantSign: 'cbon' });
    const receiver = await listen();
    await setCallbackUrl(db, on.tenantId, receiver.url);
    const offJob = await job(db, off.tenantId);
    const onJob = await job(db, on.tenantId);

    // 1. Ingestion, off and on alternately; the first pair warms up and is not counted.
    let offMs = 0;
    let onMs = 0;
    for (let i = 0; i <= batches; i++) {
      const order = i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      for (const which of order) {
        const list = calls(which === 'off' ? offJob : onJob, `${which}-${i}`, batch);
        const t = process.hrtime.bigint();
        await recordFinishedCalls(db, which === 'off' ? off.tenantId : on.tenantId, list);
        const ms = Number(process.hrtime.bigint() - t) / 1e6;
        if (i === 0) continue;
        if (which === 'off') offMs += ms;
        else onMs += ms;
      }
    }
    const ratio = Math.round((onMs / offMs) * 1000) / 1000;
    log(
      `ingestion of ${batches} × ${batch} calls: off ${Math.round(offMs)} ms, on ${Math.round(onMs)} ms, ratio ${ratio}`,
    );

    // 2. Delivery rate with the default settings.
    const config = loadConfig({ ...process.env, CALLBACK_ALLOW_PRIVATE_NETWORKS: 'true' });
    const settings = dispatcherSettings(config);
    const pending = (await countPendingCallbacks(db, Date.now() + 86_400_000)).pending;
    const dispatcher = new CallbackDispatcher({ database: db, settings });
    const t0 = Date.now();
    dispatcher.start();
    await waitDelivered(db, 300_000);
    const deliveryMs = Date.now() - t0;
    await dispatcher.stop();
    const eventsPerSecond = Math.round((pending / deliveryMs) * 1000);
    log(
      `delivered ${pending} events in ${deliveryMs} ms: ${eventsPerSecond} events/s (receiver got ${receiver.count()})`,
    );

    // 3. Receiver down: calls are ingested and attempted (refused), memory sampled.
    const port = Number(new URL(receiver.url).port);
    await close(receiver.server);
    let maxRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      maxRss = Math.max(maxRss, process.memoryUsage().rss);
    }, 50);
    const downDispatcher = new CallbackDispatcher({ database: db, settings });
    downDispatcher.start();
    const downBatches = batches;
    for (let i = 0; i < downBatches; i++) await recordFinishedCalls(db, on.tenantId, calls(onJob, `down-${i}`, batch));
    // Every event attempted once (refused), then waiting a minute for its retry.
    for (const started = Date.now(); Date.now() - started < 120_000; ) {
      if ((await countPendingCallbacks(db, Date.now())).due === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    clearInterval(sampler);
    const downEvents = downBatches * batch;
    log(`receiver down: ${downEvents} events ingested and attempted; max RSS ${Math.round(maxRss / 1048576)} MB`);

    // Back up: one redelivery of today's range.
    const back = await listen(port);
    const t1 = Date.now();
    const today = localDate(Date.now(), 'Asia/Shanghai');
    const { redelivered } = await redeliverCallbacks(
      db,
      { tenantId: on.tenantId, timeZone: 'Asia/Shanghai' },
      { earliestTime: today, latestTime: today },
    );
    const redeliveredAll = await waitDelivered(db, 300_000);
    const redeliverMs = Date.now() - t1;
    await downDispatcher.stop();
    log(
      `redelivered ${redelivered} events in ${redeliverMs} ms; all delivered: ${redeliveredAll} (receiver got ${back.count()})`,
    );
    await close(back.server);
    return {
      db: options.db,
      batch,
      batches,
      ingestOffMs: Math.round(offMs),
      ingestOnMs: Math.round(onMs),
      ratio,
      delivered: pending,
      deliveryMs,
      eventsPerSecond,
      downEvents,
      downMaxRssMb: Math.round(maxRss / 1048576),
      redeliverMs,
      redeliveredAll: redeliveredAll && back.count() === downEvents,
    };
  } finally {
    await drop();
  }
}

/** Writes the result beside the others (bench/results/). */
export function writeCallbackResult(result: CallbackBenchResult): string {
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}-callbacks-${result.db}.json`;
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
