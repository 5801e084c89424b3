import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { buildApp } from '../src/http/app.js';
import { insertDialogFlow } from '../src/repositories/referenceData.js';
import { type FinishedCall, recordFinishedCalls } from '../src/services/callResults.js';
import { createConsoleUser } from '../src/services/consoleUsers.js';
import { createJob } from '../src/services/jobOperations.js';
import { createTenant } from '../src/services/tenants.js';

/*
 * The console's export in bounded memory, measured: one job of N call records (each with a
 * six-turn transcript) exported as CSV and XLSX over loopback, for two sizes of N. The server's
 * heap is sampled every 20 ms while the file streams; its peak above the heap before the export
 * must not grow with N.
 *
 *   npm run build && npx tsc -p bench/tsconfig.json &&
 *   node --expose-gc --max-old-space-size=40 --max-semi-space-size=4 dist/.bench/bench/exportMemory.js [N1 N2]
 *
 * The caps make the garbage collector keep the heap near what is live, so the peak measures what
 * the export holds rather than when the collector ran; with them the whole run fits in 40 MB of old
 * space, which a file of 120 MB could not if it were held. Measured (SQLite, one laptop core):
 *   20000 records, csv: 11.9 MB in 3.0 s; heap peak 10.4 MB above the 25.8 MB before
 *   20000 records, xlsx: 0.9 MB in 3.7 s; heap peak 11.2 MB above the 25.4 MB before
 *   200000 records, csv: 119.1 MB in 12.2 s; heap peak 9.5 MB above the 26.8 MB before
 *   200000 records, xlsx: 9.2 MB in 23.4 s; heap peak 10.8 MB above the 26.5 MB before
 * The ZIP container by hand, then by yazl (services/xlsx.ts), on this project's 2-core machine
 * shared with other work (so the times say little): 200000 records, xlsx: 9.2 MB either way; heap
 * peak 9.6 MB above the 28.7 MB before by hand, 9.5 MB above the 28.7 MB before with yazl.
 */

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const [SMALL, LARGE] = sizes.length === 2 ? sizes : [20_000, 200_000];

async function measure(records: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'outcall-export-bench-'));
  const database = createDatabase(`sqlite:${join(dir, 'bench.db')}`);
  await migrateToLatest(database);
  const config = loadConfig({
    RATE_LIMIT_PER_SECOND: '0',
    OUTCALL_SECRET_KEY: '7465737420736563726574206b6579206f66206f757463616c6c207465737473',
  });
  const tenant = await createTenant(database, { name: '导出压测', tenantSign: 'exportbench' });
  const caller = { tenantId: tenant.tenantId, timeZone: 'Asia/Shanghai', appKey: tenant.appKey };
  const flowId = await insertDialogFlow(database, {
    tenant_id: tenant.tenantId,
    name: 'f',
    definition: {},
    created_at: 0,
  });
  const { robotCallJobId: jobId } = await createJob(database, caller, { name: 'bench', dialogFlowId: flowId });
  const started = Date.UTC(2024, 4, 1);
  const turns: FinishedCall['turns'] = [];
  for (let t = 0; t < 6; t++)
    turns.push({
      type: t % 2 ? 'PERSON' : 'ROBOT',
      text: `第${t}句：您好，这里是外呼测试，请问您最近有购房的打算吗？`,
    });
  for (let i = 0; i < records; i += 1000) {
    const batch: FinishedCall[] = [];
    for (let k = i; k < Math.min(records, i + 1000); k++)
      batch.push({
        idempotencyKey: `b${k}`,
        robotCallJobId: jobId,
        callTaskId: null,
        calledPhoneNumber: `139${String(k).padStart(8, '0')}`,
        resultStatus: 'ANSWERED',
        intentLevel: 'B',
        customerConcern: ['价格'],
        analysisBasis: '',
        startTime: started + k * 1000,
        endTime: started + k * 1000 + 60_000,
        chatDuration: 60,
        chatRound: 6,
        training: false,
        turns,
      });
    await recordFinishedCalls(database, tenant.tenantId, batch);
  }
  await createConsoleUser(
    database,
    {
      tenantId: tenant.tenantId,
      username: 'bench',
      password: 'bench-password',
      role: 'member',
    },
    { log2N: config.consolePasswordCost },
  );
  const app = await buildApp({ database, config, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const login = await fetch(`http://127.0.0.1:${port}/console/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bench', password: 'bench-password' }),
  });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  for (const format of ['csv', 'xlsx']) {
    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 20);
    const t0 = Date.now();
    const bytes = await new Promise<number>((resolve, reject) => {
      http
        .get(
          { host: '127.0.0.1', port, path: `/console/api/jobs/${jobId}/records.${format}`, headers: { cookie } },
          (res) => {
            let n = 0;
            res.on('data', (c: Buffer) => {
              n += c.length;
            });
            res.on('end', () => resolve(n));
            res.on('error', reject);
          },
        )
        .on('error', reject);
    });
    clearInterval(sampler);
    const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
    console.log(
      `${records} records, ${format}: ${mb(bytes)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s; heap peak ${mb(peak - before)} MB above the ${mb(before)} MB before`,
    );
  }
  await app.close();
  await database.destroy();
  rmSync(dir, { recursive: true, force: true });
}

await measure(SMALL ?? 20_000);
await measure(LARGE ?? 200_000);
