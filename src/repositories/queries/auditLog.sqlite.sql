-- The SQL src/repositories/auditLog.ts runs on SQLite, for each case of src/repositories/queries/cases.ts.
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
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- auditLog.countAuditEntries: no filter
select
  count(*) as "n"
from
  "audit_log"
where
  "tenant_id" = ?;

-- auditLog.countAuditEntries: every filter
select
  count(*) as "n"
from
  "audit_log"
where
  "tenant_id" = ?
  and "action" = ?
  and "robot_call_job_id" = ?
  and "code" = ?
  and "created_at" >= ?
  and "created_at" < ?;

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
  "tenant_id" = ?
order by
  "created_at" desc,
  "id" desc
limit
  ?
offset
  ?;

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
  "tenant_id" = ?
  and "action" = ?
  and "created_at" >= ?
order by
  "created_at" desc,
  "id" desc
limit
  ?
offset
  ?;

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
  "tenant_id" = ?
  and "robot_call_job_id" = ?
order by
  "created_at" desc,
  "id" desc
limit
  ?
offset
  ?;

-- auditLog.deleteAuditEntriesBefore: a tenant’s entries older than a day
delete from "audit_log"
where
  "tenant_id" = ?
  and "created_at" < ?;

-- auditLog.listTenantTimeZones: every tenant
select
  "id",
  "time_zone"
from
  "tenant"
order by
  "id";
