import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngineKey } from '../src/services/engineKeys.js';
import { encryptSecret } from '../src/services/secrets.js';
import { TenantFixture } from '../test/fixtures.js';
import { startTestServer } from '../test/harness.js';
import { freeSipPorts, startTestCarrier } from '../test/sipCarrier.js';

/*
 * The SIP engine's scale figure (docs/sip-engine.md, BENCHMARKS.md): one `outcall engine sip`
 * process (the built CLI) against the test carrier (SIPp) answering every call, the callee hanging
 * up after 5 s of talk (numbers ending 0205) while the robot still speaks. outcall's server runs in
 * this process over a SQLite file. Measured: calls placed per second (dial acknowledgements), calls
 * up at once (dialled leases not ended, sampled every 250 ms), and the engine process's CPU
 * (/proc/<pid>/stat) and peak RSS (/proc/<pid>/status VmHWM). Linux only; needs SIPp, espeak-ng, sox.
 *
 *   npm run bench -- --sip [--sip-calls 600] [--sip-cps 40] [--sip-channels 400]
 */

export interface SipBenchOptions {
  calls: number;
  cps: number;
  channels: number;
}

export interface SipBenchResult {
  cores: number;
  calls: number;
  cpsAsked: number;
  answered: number;
  otherOutcomes: Record<string, number>;
  newCallsPerSecond: number;
  peakConcurrent: number;
  seconds: number;
  engineCpuSeconds: number;
  engineCpuShareOfOneCore: number;
  enginePeakRssMb: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const TICKS = 100;

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are the 14th and 15th fields of the whole line: 12th and 13th after "(comm) ".
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return line ? Number(line[1]) / 1024 : 0;
}

/** A fixed-offset zone where it is now about 14:00, inside the job's 09:00–20:00 window. */
function zoneAtTwoPm(): string {
  const offset = 14 - new Date().getUTCHours();
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

export async function runSipBench(o: SipBenchOptions, log: (m: string) => void): Promise<SipBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'outcall-bench-sip-'));
  const server = await startTestServer({ env: { ENGINE_RATE_LIMIT_PER_SECOND: '0', ENGINE_CLAIM_WAIT_MAX_MS: '500' } });
  const carrier = await startTestCarrier(join(dir, 'carrier'), 'bench');
  let engine: ChildProcess | undefined;
  try {
    const db = server.database.db;
    const tenant = await TenantFixture.create(server.database, { timeZone: zoneAtTwoPm() });
    const line = await tenant.phoneLine('057188889999', 'external');
    await db
      .updateTable('phone_line')
      .set({
        concurrency_quota: null,
        sip_uri: `sip:127.0.0.1:${carrier.port}`,
        sip_username: 'outcall',
        sip_password: encryptSecret('bench', `phone_line.sip_password:${line}`),
      } as never)
      .where('id', '=', line)
      .execute();
    const customers: number[] = [];
    for (let i = 0; i < o.calls; i++)
      customers.push((await tenant.customer({ phone: `138${String(i).padStart(4, '0')}0205` })).id);
    const { jobId } = await tenant.job({ phoneLineIds: [line], customers });
    await db.updateTable('robot_call_job').set({ robot_count: o.channels }).where('id', '=', jobId).execute();

    const key = await createEngineKey(server.database, { name: 'bench', tenantId: tenant.tenantId });
    const credentials = join(dir, 'engine.json');
    writeFileSync(credentials, JSON.stringify({ ...key, baseUrl: server.url }));
    const dataDir = join(dir, 'data');
    // The speech made once before the measurement, as a running engine has it cached.
    const args = ['--sip-address', '127.0.0.1', '--data-dir', dataDir, '-c', credentials];
    const start = async (channels: number, cps: number) =>
      spawn(
        process.execPath,
        [
          'dist/cli.js',
          'engine',
          'sip',
          ...args,
          '--sip-port',
          String(await freeSipPorts()),
          '--channels',
          String(channels),
          '--cps',
          String(cps),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
    engine = await start(o.channels, o.cps);
    engine.stdout!.resume();
    const pid = engine.pid!;
    const cpuAtStart = cpuSeconds(pid);
    const startedAt = Date.now();
    log(`sip: ${o.calls} calls at ${o.cps}/s asked, ${o.channels} channels; engine pid ${pid}`);

    let peak = 0;
    let done = 0;
    while (done < o.calls && Date.now() - startedAt < (o.calls / o.cps) * 1000 + 60_000) {
      const live = await db
        .selectFrom('call_lease')
        .select((e) => e.fn.countAll<number>().as('n'))
        .where('state', '=', 'dialing')
        .where('ended_at', 'is', null)
        .executeTakeFirstOrThrow();
      peak = Math.max(peak, Number(live.n));
      const records = await db
        .selectFrom('call_record')
        .select((e) => e.fn.countAll<number>().as('n'))
        .where('tenant_id', '=', tenant.tenantId)
        .executeTakeFirstOrThrow();
      done = Number(records.n);
      await sleep(250);
    }
    const seconds = (Date.now() - startedAt) / 1000;
    const cpu = cpuSeconds(pid) - cpuAtStart;
    const rss = peakRssMb(pid);
    const dials = await db
      .selectFrom('call_lease')
      .select(['dialled_at'])
      .where('tenant_id', '=', tenant.tenantId)
      .where('dialled_at', 'is not', null)
      .orderBy('dialled_at')
      .execute();
    const first = Number(dials[0]?.dialled_at ?? 0);
    const last = Number(dials.at(-1)?.dialled_at ?? 0);
    const outcomes = await db
      .selectFrom('call_record')
      .select(['result_status', (e) => e.fn.countAll<number>().as('n')])
      .where('tenant_id', '=', tenant.tenantId)
      .groupBy('result_status')
      .execute();
    const answered = Number(outcomes.find((r) => r.result_status === 'ANSWERED')?.n ?? 0);
    const byStatus = Object.fromEntries(
      outcomes.filter((r) => r.result_status !== 'ANSWERED').map((r) => [r.result_status, Number(r.n)]),
    );
    return {
      cores: availableParallelism(),
      calls: o.calls,
      cpsAsked: o.cps,
      answered,
      otherOutcomes: byStatus,
      newCallsPerSecond: Math.round(((dials.length - 1) / Math.max(0.001, (last - first) / 1000)) * 10) / 10,
      peakConcurrent: peak,
      seconds: Math.round(seconds * 10) / 10,
      engineCpuSeconds: Math.round(cpu * 100) / 100,
      engineCpuShareOfOneCore: Math.round((cpu / seconds) * 1000) / 1000,
      enginePeakRssMb: Math.round(rss),
    };
  } finally {
    if (engine && engine.exitCode === null) {
      const exited = new Promise((resolve) => engine!.once('exit', resolve));
      engine.kill('SIGTERM');
      await exited;
    }
    await carrier.stop();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
