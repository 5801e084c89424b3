-- The SQL src/repositories/callLeases.ts runs on SQLite, for each case of src/repositories/queries/cases.ts.
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
      json_group_array(
        json_array(
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
      ) as "v"
    from
      "job_phone_line" as "jl"
      inner join "phone_line" as "p" on "p"."id" = "jl"."phone_line_id"
      and "p"."tenant_id" = "jl"."tenant_id"
    where
      "jl"."tenant_id" = "j"."tenant_id"
      and "jl"."job_id" = "j"."id"
      and "p"."engine" = ?
      and "p"."enabled_status" = ?
      and "p"."id" in (?)
  ) as "lines"
from
  "robot_call_job" as "j"
  inner join "tenant" as "t" on "t"."id" = "j"."tenant_id"
where
  "j"."status" = ?
  and "j"."tenant_id" = ?
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
      and "p"."engine" = ?
      and "p"."enabled_status" = ?
      and "p"."id" in (?)
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
      json_group_array(
        json_array(
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
      ) as "v"
    from
      "job_phone_line" as "jl"
      inner join "phone_line" as "p" on "p"."id" = "jl"."phone_line_id"
      and "p"."tenant_id" = "jl"."tenant_id"
    where
      "jl"."tenant_id" = "j"."tenant_id"
      and "jl"."job_id" = "j"."id"
      and "p"."engine" = ?
      and "p"."enabled_status" = ?
  ) as "lines"
from
  "robot_call_job" as "j"
  inner join "tenant" as "t" on "t"."id" = "j"."tenant_id"
where
  "j"."status" = ?
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
        and "p"."engine" = ?
        and "p"."enabled_status" = ?
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
  null as "phone_line_id",
  "j"."status",
  (
    select
      count(*) as "n"
    from
      "call_lease" as "l"
    where
      "l"."tenant_id" = ?
      and "l"."job_id" = ?
      and "l"."ended_at" is null
  ) as "live"
from
  "robot_call_job" as "j"
where
  "j"."tenant_id" = ?
  and "j"."id" = ?
union all
select
  "phone_line_id",
  null as "status",
  count(*) as "live"
from
  "call_lease"
where
  "phone_line_id" in (?)
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
  "phone_line_id" in (?)
  and "claimed_at" > ?
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
  "phone_line_id" in (?)
  and "called_phone_number" in (?)
  and (
    "dialled_at" >= ?
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
  "t"."tenant_id" = ?
  and "t"."job_id" = ?
  and t.status in ('NOT_STARTED', 'REDIAL_WAITING', 'CALLING')
  and (
    "t"."next_attempt_at" is null
    or "t"."next_attempt_at" <= ?
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
  ?;

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
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
      "phone_line_id" = ?
      and "ended_at" is null
  )
where
  "id" = ?
  and "high_water_mark" < (
    select
      count(*) as "n"
    from
      "call_lease"
    where
      "phone_line_id" = ?
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
  + "t"."tenant_id" = ?
  and "t"."id" in (?);

-- callLeases.lockLease: one lease
select
  *
from
  "call_lease"
where
  "id" = ?;

-- callLeases.lockLeases: a group’s leases
select
  *
from
  "call_lease"
where
  "id" in (?, ?)
order by
  "id";

-- callLeases.endLeasesWithResults: a group’s results
update call_lease
set
  state = 'ended',
  ended_at = v.at,
  ended_reason = 'result',
  result_status = v.result_status
from
  (
    select
      value ->> 'id' as id,
      value ->> 'resultStatus' as result_status,
      value ->> 'at' as at
    from
      json_each(?)
  ) as v
where
  call_lease.id = v.id;

-- callLeases.findLeases: one lease
select
  *
from
  "call_lease"
where
  "id" in (?);

-- callLeases.updateLease: dialled
update "call_lease"
set
  "state" = ?,
  "dialled_at" = ?
where
  "id" = ?;

-- callLeases.endLeases: an engine’s claimed leases
update "call_lease"
set
  "state" = ?,
  "ended_at" = ?,
  "ended_reason" = ?
where
  "id" in (?)
  and "ended_at" is null
  and "state" = ?
  and "engine_key_id" = ?
returning
  *;

-- callLeases.renewLeases: a heartbeat’s leases, one with its phase
update call_lease
set
  expires_at = v.expires_at,
  phase = coalesce(v.phase, call_lease.phase)
from
  (
    select
      value ->> 'id' as id,
      value ->> 'expiresAt' as expires_at,
      value ->> 'phase' as phase
    from
      json_each(?)
  ) as v
where
  call_lease.id = v.id
  and call_lease.ended_at is null;

-- callLeases.findLapsedLeases: up to 500
select
  "id"
from
  "call_lease"
where
  "ended_at" is null
  and "state" = ?
  and "expires_at" < ?
order by
  "expires_at"
limit
  ?;

select
  "id"
from
  "call_lease"
where
  "ended_at" is null
  and "deadline_at" < ?
order by
  "deadline_at"
limit
  ?;

-- callLeases.countLapsesBeforeDial: one attempt
select
  count(*) as "n"
from
  "call_lease"
where
  "call_task_id" = ?
  and "attempt" = ?
  and "ended_reason" in (?, ?);

-- callLeases.findJobStatuses: jobs
select
  "id",
  "status"
from
  "robot_call_job"
where
  "id" in (?);

-- callLeases.listedNumbers: one number
select
  "phone_number"
from
  "do_not_call"
where
  "tenant_id" = ?
  and "phone_number" in (?);

-- callLeases.moveTasksToCalling: a group’s tasks
update call_task
set
  status = 'CALLING',
  next_attempt_at = v.until
from
  (
    select
      value ->> 'tenantId' as tenant_id,
      value ->> 'taskId' as id,
      value ->> 'until' as until
    from
      json_each(?)
  ) as v
where
  + call_task.tenant_id = v.tenant_id
  and call_task.id = v.id
  and call_task.status <> 'FINISHED'
returning
  call_task.id;

-- callLeases.markLeasesDialled: a group’s leases
update call_lease
set
  state = 'dialing',
  dialled_at = v.at,
  deadline_at = v.deadline_at,
  expires_at = v.expires_at
from
  (
    select
      value ->> 'id' as id,
      value ->> 'at' as at,
      value ->> 'deadlineAt' as deadline_at,
      value ->> 'expiresAt' as expires_at
    from
      json_each(?)
  ) as v
where
  call_lease.id = v.id;

-- callLeases.findLineLimits: lines
select
  "id",
  "ring_timeout_seconds",
  "max_call_seconds"
from
  "phone_line"
where
  "id" in (?);

-- callLeases.putTaskBack: a task
update "call_task"
set
  "status" = case
    when attempts = 0 then 'NOT_STARTED'
    else 'REDIAL_WAITING'
  end,
  "next_attempt_at" = ?
where
  "tenant_id" = ?
  and "id" = ?
  and "status" = ?;

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
