import { sql, type Insertable, type Kysely } from 'kysely';
import type { DB, RobotCallJobTable } from '../db/schema.js';
import { contains } from './text.js';

/** Jobs (robot_call_job), their caller lines, and the names shown beside them. */

export interface JobListFilter {
  name?: string;
  status?: string;
}

function filteredJobs(db: Kysely<DB>, tenantId: number, filter: JobListFilter) {
  let q = db.selectFrom('robot_call_job as j').where('j.tenant_id', '=', tenantId);
  if (filter.name) q = q.where(contains(sql.ref('j.name'), filter.name));
  if (filter.status) q = q.where('j.status', '=', filter.status);
  return q;
}

export async function countJobs(db: Kysely<DB>, tenantId: number, filter: JobListFilter): Promise<number> {
  const row = await filteredJobs(db, tenantId, filter).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One page of the tenant's jobs, newest first. */
export async function listJobs(db: Kysely<DB>, tenantId: number, filter: JobListFilter, limit: number, offset: number) {
  return filteredJobs(db, tenantId, filter)
    .leftJoin('app_user as u', 'u.id', 'j.created_by_user_id')
    .leftJoin('organization as o', 'o.id', 'j.organization_id')
    .select([
      'j.id',
      'j.name',
      'j.status',
      'j.completed_task',
      'j.task_call_total',
      'j.created_at',
      'u.name as created_by_user_name',
      'o.name as organization_name',
    ])
    .orderBy('j.created_at', 'desc')
    .orderBy('j.id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
}

/** A job of the tenant with every name its detail shows, or undefined. */
export async function findJobDetail(db: Kysely<DB>, tenantId: number, jobId: number) {
  return db
    .selectFrom('robot_call_job as j')
    .leftJoin('app_user as u', 'u.id', 'j.created_by_user_id')
    .leftJoin('organization as o', 'o.id', 'j.organization_id')
    .leftJoin('dialog_flow as f', 'f.id', 'j.dialog_flow_id')
    .leftJoin('sms_template as s', 's.id', 'j.sms_template_id')
    .selectAll('j')
    .select(['u.name as created_by_user_name', 'o.name as organization_name', 'f.name as dialog_flow_name', 's.name as sms_template_name'])
    .where('j.tenant_id', '=', tenantId)
    .where('j.id', '=', jobId)
    .executeTakeFirst();
}

export async function findJob(db: Kysely<DB>, tenantId: number, jobId: number) {
  return db.selectFrom('robot_call_job').selectAll().where('tenant_id', '=', tenantId).where('id', '=', jobId).executeTakeFirst();
}

export async function jobExists(db: Kysely<DB>, tenantId: number, jobId: number): Promise<boolean> {
  const row = await db.selectFrom('robot_call_job').select('id').where('tenant_id', '=', tenantId).where('id', '=', jobId).executeTakeFirst();
  return row !== undefined;
}

/** The caller lines a job dials from. */
export async function jobPhoneLines(db: Kysely<DB>, tenantId: number, jobId: number) {
  return db
    .selectFrom('job_phone_line as jl')
    .innerJoin('phone_line as l', 'l.id', 'jl.phone_line_id')
    .select(['l.id', 'l.phone_number', 'l.phone_type', 'l.name'])
    .where('jl.tenant_id', '=', tenantId)
    .where('jl.job_id', '=', jobId)
    // The same order as l.id, read from the key of job_phone_line: no sort.
    .orderBy('jl.phone_line_id')
    .execute();
}

export async function insertJob(db: Kysely<DB>, job: Insertable<RobotCallJobTable>, phoneLineIds: number[]): Promise<number> {
  const { id } = await db.insertInto('robot_call_job').values(job).returning('id').executeTakeFirstOrThrow();
  if (phoneLineIds.length > 0) {
    await db
      .insertInto('job_phone_line')
      .values(phoneLineIds.map((phone_line_id) => ({ tenant_id: job.tenant_id, job_id: id, phone_line_id })))
      .execute();
  }
  return id;
}

export async function updateJobStatus(db: Kysely<DB>, tenantId: number, jobId: number, status: string, now: number): Promise<void> {
  await db
    .updateTable('robot_call_job')
    .set({ status, last_modified_at: now })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', jobId)
    .execute();
}
