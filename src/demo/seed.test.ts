import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allCallRecords, getTaskDetail, getTasks, startTestServer, type TestServer } from '../../test/harness.js';
import { recomputeStats } from '../../test/recompute.js';
import { statusDisagreement } from '../domain/jobLifecycle.js';
import { isMainlandMobile } from '../domain/phone.js';
import { findJob, listJobPhoneLines } from '../repositories/jobs.js';
import { checkJobRules } from '../services/laterJobOperations.js';
import type { Credentials } from '../services/tenants.js';
import { ensureDemoData } from './seed.js';

let server: TestServer;
let credentials: Credentials;

beforeAll(async () => {
  server = await startTestServer();
  const first = await ensureDemoData(server.database, { seed: 42 });
  expect(first.created).toBe(true);
  credentials = first.credentials;
});
afterAll(() => server.close());

const count = async (table: 'customer_person' | 'call_record' | 'call_detail' | 'robot_call_job') =>
  Number(
    (
      await server.database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('the demo tenant', () => {
  it('has jobs still running, completed, paused and not started', async () => {
    const jobs = (await getTasks(server, credentials)).data.content;
    expect(new Set(jobs.map((j: any) => j.status))).toEqual(
      new Set(['IN_PROCESS', 'COMPLETED', 'USER_PAUSE', 'NOT_STARTED', 'IN_QUEUE', 'TERMINATE']),
    );
    for (const completed of jobs.filter((j: any) => j.status === 'COMPLETED'))
      expect(completed.completedTask).toBe(completed.taskCallTotal);
  });

  it('holds only jobs that pass the same rules as a created job, in a status that agrees with them', async () => {
    const jobs = await server.database.db
      .selectFrom('robot_call_job')
      .select('id')
      .where('tenant_id', '=', credentials.tenantId)
      .execute();
    expect(jobs.length).toBe(7);
    for (const { id } of jobs) {
      const job = (await findJob(server.database, credentials.tenantId, Number(id)))!;
      const lines = await listJobPhoneLines(server.database, credentials.tenantId, Number(id));
      const start = job.start_time === null ? null : Number(job.start_time);
      expect(
        () =>
          checkJobRules(
            { ...job, start_time: start },
            lines.map((l) => Number(l.id)),
          ),
        job.name,
      ).not.toThrow();
      for (const line of lines) expect(line.phone_type, job.name).toBe(job.phone_type);
      const callTasks = Number(job.task_call_total);
      expect(statusDisagreement({ ...job, callTasks }), job.name).toBeUndefined();
    }
  });

  it('has a few hundred customers with valid mainland mobile numbers and thousands of calls over several days', async () => {
    expect(await count('customer_person')).toBeGreaterThanOrEqual(300);
    expect(await count('call_record')).toBeGreaterThanOrEqual(2000);
    const phones = await server.database.db.selectFrom('customer_person').select('phone_number').execute();
    expect(phones.every((p) => isMainlandMobile(p.phone_number))).toBe(true);
    const days = await server.database.db.selectFrom('job_day_stats').select('day').distinct().execute();
    expect(days.length).toBeGreaterThanOrEqual(5);
  });

  it('has transcripts whose intent levels agree with what was said', async () => {
    const jobs = (await getTasks(server, credentials)).data.content;
    const running = jobs.find((j: any) => j.status === 'IN_PROCESS');
    const records = await allCallRecords(server, credentials, { robotCallJobId: running.robotCallJobId });
    for (const r of records) {
      if (r.resultStatus !== 'ANSWERED') {
        expect(r.callDetailList).toEqual([]);
        expect(['E', 'F']).toContain(r.intentLevel);
        continue;
      }
      expect(r.callDetailList[0].type).toBe('ROBOT');
      expect(r.chatRound).toBe(r.callDetailList.filter((t: any) => t.type === 'PERSON').length);
      if (r.intentLevel === 'A') expect(r.customerConcern.length).toBeGreaterThanOrEqual(2);
      if (r.intentLevel === 'F') expect(r.analysisBasis).toContain('拒绝');
    }
  });

  it('has script-training calls', async () => {
    let training = 0;
    for (const job of (await getTasks(server, credentials)).data.content) {
      training += (
        await allCallRecords(server, credentials, { robotCallJobId: job.robotCallJobId, getTrainTaskList: true })
      ).length;
    }
    expect(training).toBeGreaterThan(0);
  });

  it('shows statistics that agree with its call records for every job', async () => {
    for (const job of (await getTasks(server, credentials)).data.content) {
      const detail = (await getTaskDetail(server, credentials, job.robotCallJobId)).data;
      const records = await allCallRecords(server, credentials, { robotCallJobId: job.robotCallJobId });
      expect(detail.callJobStatsInfo, job.name).toEqual(recomputeStats(records, detail));
    }
  });

  it('is created once: a second start changes nothing and returns the same credentials', async () => {
    const before = await Promise.all([count('robot_call_job'), count('call_record'), count('call_detail')]);
    const second = await ensureDemoData(server.database, { seed: 7 });
    expect(second.created).toBe(false);
    expect(second.credentials).toEqual(credentials);
    expect(await Promise.all([count('robot_call_job'), count('call_record'), count('call_detail')])).toEqual(before);
  });
});
