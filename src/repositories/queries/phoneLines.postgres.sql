-- The SQL src/repositories/phoneLines.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
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
  ($1, $2, $3, $4, $5, $6, $7, $8)
returning
  "id";

-- phoneLines.listPhoneLineRows: a tenant’s lines
select
  *
from
  "phone_line"
where
  "tenant_id" = $1
order by
  "id";

-- phoneLines.findPhoneLine: by id
select
  *
from
  "phone_line"
where
  "tenant_id" = $1
  and "id" = $2;

-- phoneLines.findPhoneLineByNumber: by number
select
  "id"
from
  "phone_line"
where
  "tenant_id" = $1
  and "phone_number" = $2;

-- phoneLines.updatePhoneLine: channels and a limit
update "phone_line"
set
  "concurrency_quota" = $1,
  "daily_cap_per_number" = $2
where
  "tenant_id" = $3
  and "id" = $4;

-- phoneLines.countJobsOfLine: one line
select
  count(*) as "n"
from
  "job_phone_line"
where
  "tenant_id" = $1
  and "phone_line_id" = $2;

-- phoneLines.addLineFailure: one more
update "phone_line"
set
  "consecutive_failures" = "consecutive_failures" + $1
where
  "tenant_id" = $2
  and "id" = $3
returning
  "consecutive_failures",
  "enabled_status";

-- phoneLines.resetLineFailures: back to 0
update "phone_line"
set
  "consecutive_failures" = $1
where
  "tenant_id" = $2
  and "id" = $3
  and "consecutive_failures" <> $4;

-- phoneLines.disableLineWithReason: after failures
update "phone_line"
set
  "enabled_status" = $1,
  "disabled_reason" = $2
where
  "tenant_id" = $3
  and "id" = $4
  and "enabled_status" = $5;

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
  "jl"."tenant_id" = $1
  and "jl"."job_id" = $2
  and "l"."enabled_status" = $3
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
  "id"
for update;

-- phoneLines.updateSipPassword: if unchanged
update "phone_line"
set
  "sip_password" = $1
where
  "tenant_id" = $2
  and "id" = $3
  and "sip_password" = $4;
