-- The SQL src/repositories/callTasks.ts runs on SQLite, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- callTasks.insertCallTasks: two customers
insert into
  "call_task" (
    "tenant_id",
    "job_id",
    "customer_person_id",
    "called_phone_number",
    "status",
    "created_at"
  )
values
  (?, ?, ?, ?, ?, ?),
  (?, ?, ?, ?, ?, ?)
returning
  "id",
  "customer_person_id",
  "called_phone_number";

-- callTasks.findNumbersInJob: two numbers
select
  "called_phone_number"
from
  "call_task"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "called_phone_number" in (?, ?);

-- callTasks.listCallTasks: a job’s tasks
select
  *
from
  "call_task"
where
  "tenant_id" = ?
  and "job_id" = ?
order by
  "id";

-- callTasks.findCallTasksOfCalls: one task id, and two numbers of one job
select
  "t"."id",
  "t"."job_id",
  "t"."called_phone_number",
  "t"."customer_person_id",
  "p"."customer_group_id"
from
  "call_task" as "t"
  inner join "customer_person" as "p" on "p"."id" = "t"."customer_person_id"
  and "p"."tenant_id" = "t"."tenant_id"
where
  + "t"."tenant_id" = ?
  and "t"."id" in (?);

select
  "t"."id",
  "t"."job_id",
  "t"."called_phone_number",
  "t"."customer_person_id",
  "p"."customer_group_id"
from
  "call_task" as "t"
  inner join "customer_person" as "p" on "p"."id" = "t"."customer_person_id"
  and "p"."tenant_id" = "t"."tenant_id"
where
  "t"."tenant_id" = ?
  and "t"."job_id" = ?
  and "t"."called_phone_number" in (?, ?);

-- callTasks.lockCallTasksProgress: two tasks (locked in id order on PostgreSQL)
select
  "id",
  "status",
  "attempts",
  "round_start_attempts",
  "last_result_status",
  "next_attempt_at",
  "finished_at"
from
  "call_task"
where
  + "tenant_id" = ?
  and "id" in (?, ?)
order by
  "id";

-- callTasks.updateCallTasksProgress: one task finished, one waiting for a redial
update call_task
set
  status = v.status,
  attempts = v.attempts,
  last_result_status = v.last_result_status,
  next_attempt_at = v.next_attempt_at,
  finished_at = v.finished_at
from
  (
    select
      value ->> 'id' as id,
      value ->> 'status' as status,
      value ->> 'attempts' as attempts,
      value ->> 'last_result_status' as last_result_status,
      value ->> 'next_attempt_at' as next_attempt_at,
      value ->> 'finished_at' as finished_at
    from
      json_each(?)
  ) as v
where
  + call_task.tenant_id = ?
  and call_task.id = v.id;

-- callTasks.findCallTasksInJob: by customers and numbers
select
  "id",
  "customer_person_id",
  "called_phone_number",
  "status"
from
  "call_task"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "customer_person_id" in (?);

select
  "id",
  "customer_person_id",
  "called_phone_number",
  "status"
from
  "call_task"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "called_phone_number" in (?);

-- callTasks.reopenFinishedCallTasks: a finished task
update "call_task"
set
  "status" = ?,
  "next_attempt_at" = ?,
  "finished_at" = ?,
  "round_start_attempts" = "attempts"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "id" in (?)
  and "status" = ?
returning
  "id",
  "customer_person_id";

-- callTasks.countCallsInFlight: a job
select
  count(*) as "n"
from
  "call_task"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "status" = ?
  and "next_attempt_at" > ?;

-- callTasks.hasUnfinishedCallTasks: a job
select
  "id"
from
  "call_task"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "status" <> ?
limit
  ?;

-- callTasks.claimDueCallTasks: up to 5 tasks (PostgreSQL skips rows other dialers hold)
update "call_task"
set
  "status" = ?,
  "next_attempt_at" = ?
where
  "tenant_id" = ?
  and "id" in (
    select
      "id"
    from
      "call_task"
    where
      "tenant_id" = ?
      and "job_id" = ?
      and "status" in (?, ?, ?)
      and (
        "next_attempt_at" is null
        or "next_attempt_at" <= ?
      )
      and not exists (
        select
          "d"."tenant_id"
        from
          "do_not_call" as "d"
        where
          "d"."tenant_id" = "call_task"."tenant_id"
          and "d"."phone_number" = "call_task"."called_phone_number"
      )
    order by
      "id"
    limit
      ?
  )
returning
  "id",
  "called_phone_number",
  "attempts";

-- callTasks.finishCallTasksOfNumbers: two numbers listed for do-not-call: found, then locked and finished in id order
select
  "id"
from
  "call_task"
where
  "tenant_id" = ?
  and "called_phone_number" in (?, ?)
  and "status" in (?, ?, ?)
  and exists (
    select
      "j"."id"
    from
      "robot_call_job" as "j"
    where
      "j"."id" = "call_task"."job_id"
      and "j"."tenant_id" = ?
      and "j"."status" <> ?
  );

update "call_task"
set
  "status" = ?,
  "next_attempt_at" = ?,
  "finished_at" = ?
where
  "tenant_id" = ?
  and "id" in (
    select
      "id"
    from
      "call_task"
    where
      "tenant_id" = ?
      and "id" in (?)
      and "status" in (?, ?, ?)
    order by
      "id"
  )
returning
  "id",
  "job_id",
  "called_phone_number";

-- callTasks.releaseCallTask: a claimed task
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

-- callTasks.countCallTasks: unfinished, of a number
select
  count(*) as "n"
from
  "call_task" as "t"
where
  "t"."tenant_id" = ?
  and "t"."job_id" = ?
  and "t"."status" in (?, ?, ?)
  and "t"."called_phone_number" = ?;

-- callTasks.listCallTasksPage: not started, second page
select
  "t"."id",
  "t"."customer_person_id",
  "t"."called_phone_number",
  "t"."status",
  "c"."name" as "customer_name",
  "c"."properties",
  "g"."name" as "group_name",
  exists (
    select
      "d"."tenant_id"
    from
      "do_not_call" as "d"
    where
      "d"."tenant_id" = ?
      and "d"."phone_number" = "t"."called_phone_number"
  ) as "on_do_not_call"
from
  (
    select
      "t"."id"
    from
      "call_task" as "t"
    where
      "t"."tenant_id" = ?
      and "t"."job_id" = ?
      and "t"."status" in (?)
    order by
      "t"."id"
    limit
      ?
    offset
      ?
  ) as "p"
  inner join "call_task" as "t" on "t"."id" = "p"."id"
  and "t"."tenant_id" = ?
  inner join "customer_person" as "c" on "c"."id" = "t"."customer_person_id"
  and "c"."tenant_id" = "t"."tenant_id"
  left join "customer_group" as "g" on "g"."id" = "c"."customer_group_id"
  and "g"."tenant_id" = "c"."tenant_id"
order by
  "t"."id";

-- callTasks.findCallTask: by id
select
  "id",
  "job_id",
  "status",
  "attempts"
from
  "call_task"
where
  "tenant_id" = ?
  and "id" = ?;

-- callTasks.deleteUncalledCallTasks: two ids
delete from "call_task"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "id" in (?, ?)
  and (
    "status" = ?
    and "attempts" = ?
    and not exists (
      select
        "r"."id"
      from
        "call_record" as "r"
      where
        "r"."tenant_id" = ?
        and "r"."call_task_id" = "call_task"."id"
    )
  )
returning
  "id";

-- callTasks.deleteUncalledCallTasksOfJob: every one of the job
delete from "call_task"
where
  "tenant_id" = ?
  and "job_id" = ?
  and (
    "status" = ?
    and "attempts" = ?
    and not exists (
      select
        "r"."id"
      from
        "call_record" as "r"
      where
        "r"."tenant_id" = ?
        and "r"."call_task_id" = "call_task"."id"
    )
  );

-- callTasks.deleteUncalledCallTasksOfJob: of a number
delete from "call_task"
where
  "tenant_id" = ?
  and "job_id" = ?
  and (
    "status" = ?
    and "attempts" = ?
    and not exists (
      select
        "r"."id"
      from
        "call_record" as "r"
      where
        "r"."tenant_id" = ?
        and "r"."call_task_id" = "call_task"."id"
    )
  )
  and "called_phone_number" = ?;
