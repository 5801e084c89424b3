-- The SQL src/repositories/callLeases.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- callLeases.listJobsToClaim: an engine of one tenant, named lines
select
  "j"."id",
  "j"."tenant_id",
  "j"."robot_count",
  "j"."concurrency_quota",
  "j"."daily_start_time",
  "j"."daily_end_time",
  "j"."inactive_time_list",
  "t"."time_zone",
  (
    select
      coalesce(
        json_agg(
          json_build_array(
            "p"."id",
            "p"."tenant_id",
            "p"."phone_number",
            "p"."phone_type",
            "p"."concurrency_quota",
            "p"."calls_per_second",
            "p"."ring_timeout_seconds",
            "p"."max_call_seconds",
            "p"."daily_cap_per_number",
            "p"."high_water_mark",
            "p"."sip_uri",
            "p"."sip_username",
            "p"."sip_password",
            "p"."sip_transport",
            "p"."sip_codecs"
          )
          order by
            "p"."id"
        ),
        '[]'
      ) as "v"
    from
      "job_phone_line" as "jl"
      inner join "phone_line" as "p" on "p"."id" = "jl"."phone_line_id"
      and "p"."tenant_id" = "jl"."tenant_id"
    where
      "jl"."tenant_id" = "j"."tenant_id"
      and "jl"."job_id" = "j"."id"
      and "p"."engine" = $1
      and "p"."enabled_status" = $2
      and "p"."id" in ($3)
  ) as "lines"
from
  "robot_call_job" as "j"
  inner join "tenant" as "t" on "t"."id" = "j"."tenant_id"
where
  "j"."status" = $4
  and "j"."tenant_id" = $5
  and exists (
    select
      "jl"."job_id"
    from
      "job_phone_line" as "jl"
      inner join "phone_line" as "p" on "p"."id" = "jl"."phone_line_id"
      and "p"."tenant_id" = "jl"."tenant_id"
    where
      "jl"."tenant_id" = "j"."tenant_id"
      and "jl"."job_id" = "j"."id"
      and "p"."engine" = $6
      and "p"."enabled_status" = $7
      and "p"."id" in ($8)
  )
order by
  "j"."id";

-- callLeases.listJobsToClaim: the simulator, every tenant
select
  "j"."id",
  "j"."tenant_id",
  "j"."robot_count",
  "j"."concurrency_quota",
  "j"."daily_start_time",
  "j"."daily_end_time",
  "j"."inactive_time_list",
  "t"."time_zone",
  (
    select
      coalesce(
        json_agg(
          json_build_array(
            "p"."id",
            "p"."tenant_id",
            "p"."phone_number",
            "p"."phone_type",
            "p"."concurrency_quota",
            "p"."calls_per_second",
            "p"."ring_timeout_seconds",
            "p"."max_call_seconds",
            "p"."daily_cap_per_number",
            "p"."high_water_mark",
            "p"."sip_uri",
            "p"."sip_username",
            "p"."sip_password",
            "p"."sip_transport",
            "p"."sip_codecs"
          )
          order by
            "p"."id"
        ),
        '[]'
      ) as "v"
    from
      "job_phone_line" as "jl"
      inner join "phone_line" as "p" on "p"."id" = "jl"."phone_line_id"
      and "p"."tenant_id" = "jl"."tenant_id"
    where
      "jl"."tenant_id" = "j"."tenant_id"
      and "jl"."job_id" = "j"."id"
      and "p"."engine" = $1
      and "p"."enabled_status" = $2
  ) as "lines"
from
  "robot_call_job" as "j"
  inner join "tenant" as "t" on "t"."id" = "j"."tenant_id"
where
  "j"."status" = $3
  and (
    exists (
      select
        "jl"."job_id"
      from
        "job_phone_line" as "jl"
        inner join "phone_line" as "p" on "p"."id" = "jl"."phone_line_id"
        and "p"."tenant_id" = "jl"."tenant_id"
      where
        "jl"."tenant_id" = "j"."tenant_id"
        and "jl"."job_id" = "j"."id"
        and "p"."engine" = $4
        and "p"."enabled_status" = $5
    )
    or not exists (
      select
        "jl2"."job_id"
      from
        "job_phone_line" as "jl2"
      where
        "jl2"."tenant_id" = "j"."tenant_id"
        and "jl2"."job_id" = "j"."id"
    )
  )
order by
  "j"."id";

-- callLeases.lockJobForClaim: a job and its line
select
  pg_advisory_xact_lock(hashtextextended (k, 0))
from
  unnest(array['claim job 11', 'claim line 11']::text[]) with ordinality as u (k, n)
order by
  n;

select
  null as "phone_line_id",
  "j"."status",
  (
    select
      count(*) as "n"
    from
      "call_lease" as "l"
    where
      "l"."tenant_id" = $1
      and "l"."job_id" = $2
      and "l"."ended_at" is null
  ) as "live"
from
  "robot_call_job" as "j"
where
  "j"."tenant_id" = $3
  and "j"."id" = $4
union all
select
  "phone_line_id",
  null as "status",
  count(*) as "live"
from
  "call_lease"
where
  "phone_line_id" in ($5)
  and "ended_at" is null
group by
  "phone_line_id";

-- callLeases.claimsOnLinesSince: one line
select
  "phone_line_id",
  count(*) as "n"
from
  "call_lease"
where
  "phone_line_id" in ($1)
  and "claimed_at" > $2
group by
  "phone_line_id";

-- callLeases.callsToNumbersOnLines: one number on one line
select
  "phone_line_id",
  "called_phone_number",
  count(*) as "n"
from
  "call_lease"
where
  "phone_line_id" in ($1)
  and "called_phone_number" in ($2)
  and (
    "dialled_at" >= $3
    or (
      "ended_at" is null
      and "dialled_at" is null
    )
  )
group by
  "phone_line_id",
  "called_phone_number";

-- callLeases.findDueCallTasks: a job
select
  "t"."id",
  "t"."called_phone_number",
  "t"."attempts"
from
  "call_task" as "t"
where
  "t"."tenant_id" = $1
  and "t"."job_id" = $2
  and t.status in ('NOT_STARTED', 'REDIAL_WAITING', 'CALLING')
  and (
    "t"."next_attempt_at" is null
    or "t"."next_attempt_at" <= $3
  )
  and not exists (
    select
      "d"."tenant_id"
    from
      "do_not_call" as "d"
    where
      "d"."tenant_id" = "t"."tenant_id"
      and "d"."phone_number" = "t"."called_phone_number"
  )
  and not exists (
    select
      "l"."id"
    from
      "call_lease" as "l"
    where
      "l"."call_task_id" = "t"."id"
      and "l"."ended_at" is null
  )
order by
  "t"."id"
limit
  $4
for no key update
  skip locked;

-- callLeases.insertLeases: one lease
insert into
  "call_lease" (
    "id",
    "tenant_id",
    "job_id",
    "call_task_id",
    "phone_line_id",
    "engine_key_id",
    "called_phone_number",
    "attempt",
    "state",
    "phase",
    "claimed_at",
    "dialled_at",
    "expires_at",
    "deadline_at",
    "ended_at",
    "ended_reason",
    "result_status"
  )
values
  ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
on conflict ("call_task_id")
where
  "ended_at" is null do nothing
returning
  "id";

-- callLeases.raiseHighWaterMarks: one line
update "phone_line"
set
  "high_water_mark" = (
    select
      count(*) as "n"
    from
      "call_lease"
    where
      "phone_line_id" = $1
      and "ended_at" is null
  )
where
  "id" = $2
  and "high_water_mark" < (
    select
      count(*) as "n"
    from
      "call_lease"
    where
      "phone_line_id" = $3
      and "ended_at" is null
  );

-- callLeases.findClaimDetails: one task
select
  "t"."id",
  "t"."job_id",
  "t"."customer_person_id",
  "c"."name" as "customer_name",
  "c"."properties",
  "j"."dialog_flow_id",
  "v"."version" as "dialog_flow_version",
  "v"."created_at" as "flow_version_created_at",
  "f"."name" as "flow_name",
  "v"."definition"
from
  "call_task" as "t"
  inner join "customer_person" as "c" on "c"."id" = "t"."customer_person_id"
  and "c"."tenant_id" = "t"."tenant_id"
  inner join "robot_call_job" as "j" on "j"."id" = "t"."job_id"
  and "j"."tenant_id" = "t"."tenant_id"
  inner join "dialog_flow" as "f" on "f"."id" = "j"."dialog_flow_id"
  and "f"."tenant_id" = "j"."tenant_id"
  inner join "dialog_flow_version" as "v" on "v"."dialog_flow_id" = "j"."dialog_flow_id"
  and "v"."version" = "j"."dialog_flow_version"
  and "v"."tenant_id" = "j"."tenant_id"
where
  "t"."tenant_id" = $1
  and "t"."id" in ($2);

-- callLeases.lockLease: one lease
select
  *
from
  "call_lease"
where
  "id" = $1
for update;

-- callLeases.lockLeases: a group’s leases
select
  *
from
  "call_lease"
where
  "id" in ($1, $2)
order by
  "id"
for update;

-- callLeases.endLeasesWithResults: a group’s results
update call_lease as l
set
  state = 'ended',
  ended_at = v.at,
  ended_reason = 'result',
  result_status = v."resultStatus"
from
  jsonb_to_recordset($1::jsonb) as v (id text, "resultStatus" text, at bigint)
where
  l.id = v.id;

-- callLeases.findLeases: one lease
select
  *
from
  "call_lease"
where
  "id" in ($1);

-- callLeases.updateLease: dialled
update "call_lease"
set
  "state" = $1,
  "dialled_at" = $2
where
  "id" = $3;

-- callLeases.endLeases: an engine’s claimed leases
update "call_lease"
set
  "state" = $1,
  "ended_at" = $2,
  "ended_reason" = $3
where
  "id" in ($4)
  and "ended_at" is null
  and "state" = $5
  and "engine_key_id" = $6
returning
  *;

-- callLeases.renewLeases: a heartbeat’s leases, one with its phase
with
  v as (
    select
      *
    from
      jsonb_to_recordset($1::jsonb) as v (id text, "expiresAt" bigint, phase text)
  ),
  locked as (
    select
      l.id
    from
      call_lease as l
      join v on v.id = l.id
    where
      l.ended_at is null
    order by
      l.id
    for update of
      l
  )
update call_lease as l
set
  expires_at = v."expiresAt",
  phase = coalesce(v.phase, l.phase)
from
  v
  join locked on locked.id = v.id
where
  l.id = v.id;

-- callLeases.findLapsedLeases: up to 500
select
  "id"
from
  "call_lease"
where
  "ended_at" is null
  and "state" = $1
  and "expires_at" < $2
order by
  "expires_at"
limit
  $3;

select
  "id"
from
  "call_lease"
where
  "ended_at" is null
  and "deadline_at" < $1
order by
  "deadline_at"
limit
  $2;

-- callLeases.countLapsesBeforeDial: one attempt
select
  count(*) as "n"
from
  "call_lease"
where
  "call_task_id" = $1
  and "attempt" = $2
  and "ended_reason" in ($3, $4);

-- callLeases.findJobStatuses: jobs
select
  "id",
  "status"
from
  "robot_call_job"
where
  "id" in ($1);

-- callLeases.listedNumbers: one number
select
  "phone_number"
from
  "do_not_call"
where
  "tenant_id" = $1
  and "phone_number" in ($2);

-- callLeases.moveTasksToCalling: a group’s tasks
update call_task as t
set
  status = 'CALLING',
  next_attempt_at = v.until
from
  jsonb_to_recordset($1::jsonb) as v ("tenantId" bigint, "taskId" bigint, until bigint)
where
  t.tenant_id = v."tenantId"
  and t.id = v."taskId"
  and t.status <> 'FINISHED'
returning
  t.id;

-- callLeases.markLeasesDialled: a group’s leases
update call_lease as l
set
  state = 'dialing',
  dialled_at = v.at,
  deadline_at = v."deadlineAt",
  expires_at = v."expiresAt"
from
  jsonb_to_recordset($1::jsonb) as v (
    id text,
    at bigint,
    "deadlineAt" bigint,
    "expiresAt" bigint
  )
where
  l.id = v.id;

-- callLeases.findLineLimits: lines
select
  "id",
  "ring_timeout_seconds",
  "max_call_seconds"
from
  "phone_line"
where
  "id" in ($1);

-- callLeases.putTaskBack: a task
update "call_task"
set
  "status" = case
    when attempts = 0 then 'NOT_STARTED'
    else 'REDIAL_WAITING'
  end,
  "next_attempt_at" = $1
where
  "tenant_id" = $2
  and "id" = $3
  and "status" = $4;

-- callLeases.countLiveLeases: all
select
  "state",
  count(*) as "n"
from
  "call_lease"
where
  "ended_at" is null
group by
  "state";
