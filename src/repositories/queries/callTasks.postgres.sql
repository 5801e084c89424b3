-- The SQL src/repositories/callTasks.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
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
  ($1, $2, $3, $4, $5, $6),
  ($7, $8, $9, $10, $11, $12)
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
  "tenant_id" = $1
  and "job_id" = $2
  and "called_phone_number" in ($3, $4);

-- callTasks.listCallTasks: a job’s tasks
select
  *
from
  "call_task"
where
  "tenant_id" = $1
  and "job_id" = $2
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
  "t"."tenant_id" = $1
  and "t"."id" in ($2);

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
  "t"."tenant_id" = $1
  and "t"."job_id" = $2
  and "t"."called_phone_number" in ($3, $4);

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
  "tenant_id" = $1
  and "id" in ($2, $3)
order by
  "id"
for no key update;

-- callTasks.updateCallTasksProgress: one task finished, one waiting for a redial
update call_task as t
set
  status = v.status,
  attempts = v.attempts,
  last_result_status = v.last_result_status,
  next_attempt_at = v.next_attempt_at,
  finished_at = v.finished_at
from
  jsonb_to_recordset($1::jsonb) as v (
    id bigint,
    status text,
    attempts integer,
    last_result_status text,
    next_attempt_at bigint,
    finished_at bigint
  )
where
  t.tenant_id = $2
  and t.id = v.id;

-- callTasks.findCallTasksInJob: by customers and numbers
select
  "id",
  "customer_person_id",
  "called_phone_number",
  "status"
from
  "call_task"
where
  "tenant_id" = $1
  and "job_id" = $2
  and "customer_person_id" in ($3);

select
  "id",
  "customer_person_id",
  "called_phone_number",
  "status"
from
  "call_task"
where
  "tenant_id" = $1
  and "job_id" = $2
  and "called_phone_number" in ($3);

-- callTasks.reopenFinishedCallTasks: a finished task
update "call_task"
set
  "status" = $1,
  "next_attempt_at" = $2,
  "finished_at" = $3,
  "round_start_attempts" = "attempts"
where
  "tenant_id" = $4
  and "job_id" = $5
  and "id" in ($6)
  and "status" = $7
returning
  "id",
  "customer_person_id";

-- callTasks.countCallsInFlight: a job
select
  count(*) as "n"
from
  "call_task"
where
  "tenant_id" = $1
  and "job_id" = $2
  and "status" = $3
  and "next_attempt_at" > $4;

-- callTasks.hasUnfinishedCallTasks: a job
select
  "id"
from
  "call_task"
where
  "tenant_id" = $1
  and "job_id" = $2
  and "status" <> $3
limit
  $4;

-- callTasks.claimDueCallTasks: up to 5 tasks (PostgreSQL skips rows other dialers hold)
update "call_task"
set
  "status" = $1,
  "next_attempt_at" = $2
where
  "tenant_id" = $3
  and "id" in (
    select
      "id"
    from
      "call_task"
    where
      "tenant_id" = $4
      and "job_id" = $5
      and "status" in ($6, $7, $8)
      and (
        "next_attempt_at" is null
        or "next_attempt_at" <= $9
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
      $10
    for update
      skip locked
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
  "tenant_id" = $1
  and "called_phone_number" in ($2, $3)
  and "status" in ($4, $5, $6)
  and exists (
    select
      "j"."id"
    from
      "robot_call_job" as "j"
    where
      "j"."id" = "call_task"."job_id"
      and "j"."tenant_id" = $7
      and "j"."status" <> $8
  );

update "call_task"
set
  "status" = $1,
  "next_attempt_at" = $2,
  "finished_at" = $3
where
  "tenant_id" = $4
  and "id" in (
    select
      "id"
    from
      "call_task"
    where
      "tenant_id" = $5
      and "id" in ($6)
      and "status" in ($7, $8, $9)
    order by
      "id"
    for update
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
  "next_attempt_at" = $1
where
  "tenant_id" = $2
  and "id" = $3
  and "status" = $4;

-- callTasks.countCallTasks: unfinished, of a number
select
  count(*) as "n"
from
  "call_task" as "t"
where
  "t"."tenant_id" = $1
  and "t"."job_id" = $2
  and "t"."status" in ($3, $4, $5)
  and "t"."called_phone_number" = $6;

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
      "d"."tenant_id" = $1
      and "d"."phone_number" = "t"."called_phone_number"
  ) as "on_do_not_call"
from
  (
    select
      "t"."id"
    from
      "call_task" as "t"
    where
      "t"."tenant_id" = $2
      and "t"."job_id" = $3
      and "t"."status" in ($4)
    order by
      "t"."id"
    limit
      $5
    offset
      $6
  ) as "p"
  inner join "call_task" as "t" on "t"."id" = "p"."id"
  and "t"."tenant_id" = $7
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
  "tenant_id" = $1
  and "id" = $2;

-- callTasks.deleteUncalledCallTasks: two ids
delete from "call_task"
where
  "tenant_id" = $1
  and "job_id" = $2
  and "id" in ($3, $4)
  and (
    "status" = $5
    and "attempts" = $6
    and not exists (
      select
        "r"."id"
      from
        "call_record" as "r"
      where
        "r"."tenant_id" = $7
        and "r"."call_task_id" = "call_task"."id"
    )
  )
returning
  "id";

-- callTasks.deleteUncalledCallTasksOfJob: every one of the job
delete from "call_task"
where
  "tenant_id" = $1
  and "job_id" = $2
  and (
    "status" = $3
    and "attempts" = $4
    and not exists (
      select
        "r"."id"
      from
        "call_record" as "r"
      where
        "r"."tenant_id" = $5
        and "r"."call_task_id" = "call_task"."id"
    )
  );

-- callTasks.deleteUncalledCallTasksOfJob: of a number
delete from "call_task"
where
  "tenant_id" = $1
  and "job_id" = $2
  and (
    "status" = $3
    and "attempts" = $4
    and not exists (
      select
        "r"."id"
      from
        "call_record" as "r"
      where
        "r"."tenant_id" = $5
        and "r"."call_task_id" = "call_task"."id"
    )
  )
  and "called_phone_number" = $6;
