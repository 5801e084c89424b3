-- The SQL src/repositories/auditLog.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- auditLog.insertAuditEntry: one entry
insert into
  "audit_log" (
    "tenant_id",
    "app_key",
    "user_name",
    "method",
    "action",
    "robot_call_job_id",
    "code",
    "result_msg",
    "summary",
    "client_ip",
    "request_id",
    "created_at"
  )
values
  ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);

-- auditLog.countAuditEntries: no filter
select
  count(*) as "n"
from
  "audit_log"
where
  "tenant_id" = $1;

-- auditLog.countAuditEntries: every filter
select
  count(*) as "n"
from
  "audit_log"
where
  "tenant_id" = $1
  and "action" = $2
  and "robot_call_job_id" = $3
  and "code" = $4
  and "created_at" >= $5
  and "created_at" < $6;

-- auditLog.listAuditEntries: no filter, first page
select
  "id",
  "app_key",
  "user_name",
  "method",
  "action",
  "robot_call_job_id",
  "code",
  "result_msg",
  "summary",
  "client_ip",
  "request_id",
  "created_at"
from
  "audit_log"
where
  "tenant_id" = $1
order by
  "created_at" desc,
  "id" desc
limit
  $2
offset
  $3;

-- auditLog.listAuditEntries: by action and time, second page
select
  "id",
  "app_key",
  "user_name",
  "method",
  "action",
  "robot_call_job_id",
  "code",
  "result_msg",
  "summary",
  "client_ip",
  "request_id",
  "created_at"
from
  "audit_log"
where
  "tenant_id" = $1
  and "action" = $2
  and "created_at" >= $3
order by
  "created_at" desc,
  "id" desc
limit
  $4
offset
  $5;

-- auditLog.listAuditEntries: by job
select
  "id",
  "app_key",
  "user_name",
  "method",
  "action",
  "robot_call_job_id",
  "code",
  "result_msg",
  "summary",
  "client_ip",
  "request_id",
  "created_at"
from
  "audit_log"
where
  "tenant_id" = $1
  and "robot_call_job_id" = $2
order by
  "created_at" desc,
  "id" desc
limit
  $3
offset
  $4;

-- auditLog.deleteAuditEntriesBefore: a tenant’s entries older than a day
delete from "audit_log"
where
  "tenant_id" = $1
  and "created_at" < $2;

-- auditLog.listTenantTimeZones: every tenant
select
  "id",
  "time_zone"
from
  "tenant"
order by
  "id";
