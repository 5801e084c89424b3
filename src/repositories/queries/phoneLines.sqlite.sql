-- The SQL src/repositories/phoneLines.ts runs on SQLite, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- phoneLines.insertPhoneLine: an external line with its limits
insert into
  "phone_line" (
    "tenant_id",
    "created_at",
    "phone_number",
    "phone_type",
    "name",
    "engine",
    "concurrency_quota",
    "calls_per_second"
  )
values
  (?, ?, ?, ?, ?, ?, ?, ?)
returning
  "id";

-- phoneLines.listPhoneLineRows: a tenant’s lines
select
  *
from
  "phone_line"
where
  "tenant_id" = ?
order by
  "id";

-- phoneLines.findPhoneLine: by id
select
  *
from
  "phone_line"
where
  "tenant_id" = ?
  and "id" = ?;

-- phoneLines.findPhoneLineByNumber: by number
select
  "id"
from
  "phone_line"
where
  "tenant_id" = ?
  and "phone_number" = ?;

-- phoneLines.updatePhoneLine: channels and a limit
update "phone_line"
set
  "concurrency_quota" = ?,
  "daily_cap_per_number" = ?
where
  "tenant_id" = ?
  and "id" = ?;

-- phoneLines.countJobsOfLine: one line
select
  count(*) as "n"
from
  "job_phone_line"
where
  "tenant_id" = ?
  and "phone_line_id" = ?;

-- phoneLines.addLineFailure: one more
update "phone_line"
set
  "consecutive_failures" = "consecutive_failures" + ?
where
  "tenant_id" = ?
  and "id" = ?
returning
  "consecutive_failures",
  "enabled_status";

-- phoneLines.resetLineFailures: back to 0
update "phone_line"
set
  "consecutive_failures" = ?
where
  "tenant_id" = ?
  and "id" = ?
  and "consecutive_failures" <> ?;

-- phoneLines.disableLineWithReason: after failures
update "phone_line"
set
  "enabled_status" = ?,
  "disabled_reason" = ?
where
  "tenant_id" = ?
  and "id" = ?
  and "enabled_status" = ?;

-- phoneLines.listUsableLinesOfJob: a job’s lines
select
  "l"."id",
  "l"."phone_number",
  "l"."phone_type",
  "l"."engine",
  "l"."concurrency_quota",
  "l"."calls_per_second",
  "l"."ring_timeout_seconds",
  "l"."max_call_seconds",
  "l"."daily_cap_per_number",
  "l"."high_water_mark"
from
  "job_phone_line" as "jl"
  inner join "phone_line" as "l" on "l"."id" = "jl"."phone_line_id"
  and "l"."tenant_id" = "jl"."tenant_id"
where
  "jl"."tenant_id" = ?
  and "jl"."job_id" = ?
  and "l"."enabled_status" = ?
order by
  "jl"."phone_line_id";

-- phoneLines.listSipPasswords: to read
select
  "id",
  "tenant_id",
  "sip_password"
from
  "phone_line"
where
  "sip_password" is not null
order by
  "id";

-- phoneLines.listSipPasswords: to re-encrypt (locked)
select
  "id",
  "tenant_id",
  "sip_password"
from
  "phone_line"
where
  "sip_password" is not null
order by
  "id";

-- phoneLines.updateSipPassword: if unchanged
update "phone_line"
set
  "sip_password" = ?
where
  "tenant_id" = ?
  and "id" = ?
  and "sip_password" = ?;
