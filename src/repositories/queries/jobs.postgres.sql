-- The SQL src/repositories/jobs.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- jobs.countJobs: no filter
select
  count(*) as "n"
from
  "robot_call_job" as "j"
where
  "j"."tenant_id" = $1;

-- jobs.countJobs: by name and status
select
  count(*) as "n"
from
  "robot_call_job" as "j"
where
  "j"."tenant_id" = $1
  and "j"."name" like $2 escape '\'
  and "j"."status" = $3;

-- jobs.findJobPage: no filter, first page
select
  "j"."id",
  "j"."name",
  "j"."status",
  "j"."completed_task",
  "j"."task_call_total",
  "j"."created_at",
  coalesce(u.name, cu.username) as "created_by_user_name",
  "o"."name" as "organization_name",
  (
    select
      count(*) as "n"
    from
      "robot_call_job" as "c"
    where
      "c"."tenant_id" = $1
  ) as "total"
from
  "robot_call_job" as "j"
  left join "app_user" as "u" on "u"."id" = "j"."created_by_user_id"
  and "u"."tenant_id" = "j"."tenant_id"
  left join "console_user" as "cu" on "cu"."id" = "j"."created_by_console_user_id"
  and "cu"."tenant_id" = "j"."tenant_id"
  left join "organization" as "o" on "o"."id" = "j"."organization_id"
  and "o"."tenant_id" = "j"."tenant_id"
where
  "j"."tenant_id" = $2
order by
  "j"."created_at" desc,
  "j"."id" desc
limit
  $3
offset
  $4;

-- jobs.findJobPage: by name and status, a page past the end (counted on its own)
select
  "j"."id",
  "j"."name",
  "j"."status",
  "j"."completed_task",
  "j"."task_call_total",
  "j"."created_at",
  coalesce(u.name, cu.username) as "created_by_user_name",
  "o"."name" as "organization_name",
  (
    select
      count(*) as "n"
    from
      "robot_call_job" as "c"
    where
      "c"."tenant_id" = $1
      and "c"."name" like $2 escape '\'
      and "c"."status" = $3
  ) as "total"
from
  "robot_call_job" as "j"
  left join "app_user" as "u" on "u"."id" = "j"."created_by_user_id"
  and "u"."tenant_id" = "j"."tenant_id"
  left join "console_user" as "cu" on "cu"."id" = "j"."created_by_console_user_id"
  and "cu"."tenant_id" = "j"."tenant_id"
  left join "organization" as "o" on "o"."id" = "j"."organization_id"
  and "o"."tenant_id" = "j"."tenant_id"
where
  "j"."tenant_id" = $4
  and "j"."name" like $5 escape '\'
  and "j"."status" = $6
order by
  "j"."created_at" desc,
  "j"."id" desc
limit
  $7
offset
  $8;

select
  count(*) as "n"
from
  "robot_call_job" as "j"
where
  "j"."tenant_id" = $1
  and "j"."name" like $2 escape '\'
  and "j"."status" = $3;

-- jobs.findJobDetail: by id
select
  "j".*,
  coalesce(u.name, cu.username) as "created_by_user_name",
  "o"."name" as "organization_name",
  "f"."name" as "dialog_flow_name",
  "s"."name" as "sms_template_name"
from
  "robot_call_job" as "j"
  left join "app_user" as "u" on "u"."id" = "j"."created_by_user_id"
  and "u"."tenant_id" = "j"."tenant_id"
  left join "console_user" as "cu" on "cu"."id" = "j"."created_by_console_user_id"
  and "cu"."tenant_id" = "j"."tenant_id"
  left join "organization" as "o" on "o"."id" = "j"."organization_id"
  and "o"."tenant_id" = "j"."tenant_id"
  left join "dialog_flow" as "f" on "f"."id" = "j"."dialog_flow_id"
  and "f"."tenant_id" = "j"."tenant_id"
  left join "sms_template" as "s" on "s"."id" = "j"."sms_template_id"
  and "s"."tenant_id" = "j"."tenant_id"
where
  "j"."tenant_id" = $1
  and "j"."id" = $2;

-- jobs.findJobDetailWithStats: by id, with its statistics
select
  "j".*,
  coalesce(u.name, cu.username) as "created_by_user_name",
  "o"."name" as "organization_name",
  "f"."name" as "dialog_flow_name",
  "s"."name" as "sms_template_name",
  (
    select
      coalesce(
        json_agg(
          json_build_array(
            "l"."id",
            "l"."phone_number",
            "l"."phone_type",
            "l"."name"
          )
          order by
            "jl"."phone_line_id"
        ),
        '[]'
      ) as "v"
    from
      "job_phone_line" as "jl"
      inner join "phone_line" as "l" on "l"."id" = "jl"."phone_line_id"
      and "l"."tenant_id" = "jl"."tenant_id"
    where
      "jl"."tenant_id" = $1
      and "jl"."job_id" = $2
  ) as "phone_lines",
  (
    select
      json_build_array(
        sum("ds"."records"),
        sum("ds"."answered"),
        sum("ds"."chat_duration_total"),
        sum("ds"."intent_a"),
        sum("ds"."intent_b"),
        sum("ds"."intent_c"),
        sum("ds"."intent_d"),
        sum("ds"."intent_e"),
        sum("ds"."intent_f"),
        sum("ds"."result_answered"),
        sum("ds"."result_no_answer"),
        sum("ds"."result_busy"),
        sum("ds"."result_power_off"),
        sum("ds"."result_out_of_service"),
        sum("ds"."result_refused"),
        sum("ds"."result_vacant_number"),
        sum("ds"."result_can_not_connect"),
        sum("ds"."result_from_phone_error"),
        sum("ds"."result_system_error"),
        sum("ds"."chat_round_less_3"),
        sum("ds"."chat_round_f3_t6"),
        sum("ds"."chat_round_f6_t10"),
        sum("ds"."chat_round_f10_more"),
        sum("ds"."chat_duration_less_10s"),
        sum("ds"."chat_duration_f10s_t1min"),
        sum("ds"."chat_duration_f1min_t2min"),
        sum("ds"."chat_duration_f2min_t3min"),
        sum("ds"."chat_duration_f3min_tmore")
      ) as "v"
    from
      "job_day_stats" as "ds"
    where
      "ds"."tenant_id" = $3
      and "ds"."job_id" = $4
  ) as "day_sums",
  (
    select
      coalesce(
        json_agg(
          json_build_array(
            "d"."day",
            "d"."records",
            "d"."answered",
            "d"."chat_duration_total"
          )
          order by
            "d"."day"
        ),
        '[]'
      ) as "v"
    from
      "job_day_stats" as "d"
    where
      "d"."tenant_id" = $5
      and "d"."job_id" = $6
      and "d"."records" > $7
  ) as "day_series",
  (
    select
      coalesce(
        json_agg(
          json_build_array("c"."concern")
          order by
            "c"."hits" desc,
            "c"."concern"
        ),
        '[]'
      ) as "v"
    from
      (
        select
          "cs"."concern",
          "cs"."hits"
        from
          "job_concern_stats" as "cs"
        where
          "cs"."tenant_id" = $8
          and "cs"."job_id" = $9
        order by
          "cs"."hits" desc,
          "cs"."concern"
        limit
          $10
      ) as "c"
  ) as "top_concerns"
from
  "robot_call_job" as "j"
  left join "app_user" as "u" on "u"."id" = "j"."created_by_user_id"
  and "u"."tenant_id" = "j"."tenant_id"
  left join "console_user" as "cu" on "cu"."id" = "j"."created_by_console_user_id"
  and "cu"."tenant_id" = "j"."tenant_id"
  left join "organization" as "o" on "o"."id" = "j"."organization_id"
  and "o"."tenant_id" = "j"."tenant_id"
  left join "dialog_flow" as "f" on "f"."id" = "j"."dialog_flow_id"
  and "f"."tenant_id" = "j"."tenant_id"
  left join "sms_template" as "s" on "s"."id" = "j"."sms_template_id"
  and "s"."tenant_id" = "j"."tenant_id"
where
  "j"."tenant_id" = $11
  and "j"."id" = $12;

-- jobs.findJob: by id
select
  *
from
  "robot_call_job"
where
  "tenant_id" = $1
  and "id" = $2;

-- jobs.existsJob: by id
select
  "id"
from
  "robot_call_job"
where
  "tenant_id" = $1
  and "id" = $2;

-- jobs.findTrainingJob: a flow
select
  "id",
  "name"
from
  "robot_call_job"
where
  "tenant_id" = $1
  and "dialog_flow_id" = $2
  and "phone_type" = $3
order by
  "id";

-- jobs.findTrainingJob: a flow, locked
select
  "id"
from
  "dialog_flow"
where
  "tenant_id" = $1
  and "id" = $2
for update;

select
  "id",
  "name"
from
  "robot_call_job"
where
  "tenant_id" = $1
  and "dialog_flow_id" = $2
  and "phone_type" = $3
order by
  "id";

-- jobs.listJobsForRecording: two jobs
select
  "id",
  "dialog_flow_id",
  "redial_times",
  "redial_interval_minutes",
  "redial_condition"
from
  "robot_call_job"
where
  "tenant_id" = $1
  and "id" in ($2, $3);

-- jobs.listJobPhoneLines: a job
select
  "l"."id",
  "l"."phone_number",
  "l"."phone_type",
  "l"."name",
  "l"."enabled_status",
  "l"."concurrency_quota"
from
  "job_phone_line" as "jl"
  inner join "phone_line" as "l" on "l"."id" = "jl"."phone_line_id"
  and "l"."tenant_id" = "jl"."tenant_id"
where
  "jl"."tenant_id" = $1
  and "jl"."job_id" = $2
order by
  "jl"."phone_line_id";

-- jobs.listJobCounters: two jobs
select
  "id",
  "task_call_total",
  "completed_task"
from
  "robot_call_job"
where
  "tenant_id" = $1
  and "id" in ($2, $3)
order by
  "id";

-- jobs.findJobTexts: by id
select
  "f"."definition",
  "s"."content" as "sms_content"
from
  "robot_call_job" as "j"
  inner join "dialog_flow_version" as "f" on "f"."dialog_flow_id" = "j"."dialog_flow_id"
  and "f"."version" = "j"."dialog_flow_version"
  and "f"."tenant_id" = "j"."tenant_id"
  left join "sms_template" as "s" on "s"."id" = "j"."sms_template_id"
  and "s"."tenant_id" = "j"."tenant_id"
where
  "j"."tenant_id" = $1
  and "j"."id" = $2;

-- jobs.insertJob: a job with one caller line
insert into
  "robot_call_job" (
    "tenant_id",
    "dialog_flow_id",
    "name",
    "mode",
    "robot_count",
    "sms_template_id",
    "phone_type",
    "daily_start_time",
    "daily_end_time",
    "inactive_time_list",
    "redial_condition",
    "description",
    "wechat_alert_level",
    "sms_alert_level",
    "alert_users",
    "early_warning_alert_users",
    "wechat_send_method",
    "status",
    "start_time",
    "next_start_time",
    "system_pause_next_start",
    "redial_times",
    "created_by_user_id",
    "organization_id",
    "created_at",
    "last_modified_at",
    "dialog_flow_version",
    "transfer_phone_number",
    "wechat_condition_alert_level"
  )
values
  (
    $1,
    $2,
    $3,
    $4,
    $5,
    $6,
    $7,
    $8,
    $9,
    $10,
    $11,
    $12,
    $13,
    $14,
    $15,
    $16,
    $17,
    $18,
    $19,
    $20,
    $21,
    $22,
    $23,
    $24,
    $25,
    $26,
    (
      select
        "version"
      from
        "dialog_flow"
      where
        "tenant_id" = $27
        and "id" = $28
    ),
    $29,
    $30
  )
returning
  "id";

insert into
  "job_phone_line" ("tenant_id", "job_id", "phone_line_id")
values
  ($1, $2, $3);

-- jobs.updateJobSettings: some settings, if still in the status read
update "robot_call_job"
set
  "name" = $1,
  "robot_count" = $2,
  "inactive_time_list" = $3,
  "last_modified_at" = $4
where
  "tenant_id" = $5
  and "id" = $6
  and "status" = $7;

-- jobs.replaceJobPhoneLines: one line
delete from "job_phone_line"
where
  "tenant_id" = $1
  and "job_id" = $2;

insert into
  "job_phone_line" ("tenant_id", "job_id", "phone_line_id")
values
  ($1, $2, $3);

-- jobs.listJobsByIds: by ids
select
  "j"."id",
  "j"."name",
  "j"."status",
  "j"."task_call_total",
  "j"."completed_task",
  "j"."created_at",
  "j"."system_pause_reason",
  coalesce(u.name, cu.username) as "created_by_user_name"
from
  "robot_call_job" as "j"
  left join "app_user" as "u" on "u"."id" = "j"."created_by_user_id"
  and "u"."tenant_id" = "j"."tenant_id"
  left join "console_user" as "cu" on "cu"."id" = "j"."created_by_console_user_id"
  and "cu"."tenant_id" = "j"."tenant_id"
where
  "j"."tenant_id" = $1
  and "j"."id" in ($2, $3)
order by
  "j"."id";

-- jobs.listJobsByIds: by ids, statuses, name and creation time
select
  "j"."id",
  "j"."name",
  "j"."status",
  "j"."task_call_total",
  "j"."completed_task",
  "j"."created_at",
  "j"."system_pause_reason",
  coalesce(u.name, cu.username) as "created_by_user_name"
from
  "robot_call_job" as "j"
  left join "app_user" as "u" on "u"."id" = "j"."created_by_user_id"
  and "u"."tenant_id" = "j"."tenant_id"
  left join "console_user" as "cu" on "cu"."id" = "j"."created_by_console_user_id"
  and "cu"."tenant_id" = "j"."tenant_id"
where
  "j"."tenant_id" = $1
  and "j"."id" in ($2, $3)
  and "j"."status" in ($4, $5)
  and "j"."name" like $6 escape '\'
  and "j"."created_at" >= $7
  and "j"."created_at" < $8
order by
  "j"."id";

-- jobs.sumJobAnswers: two jobs
select
  "job_id",
  sum(answered) as "answered",
  sum(intent_a + intent_b) as "ab_level"
from
  "job_day_stats"
where
  "tenant_id" = $1
  and "job_id" in ($2, $3)
group by
  "job_id"
order by
  "job_id";

-- jobs.moveJobStatus: a status change
update "robot_call_job"
set
  "status" = $1,
  "last_modified_at" = $2
where
  "tenant_id" = $3
  and "id" = $4
  and "status" = $5;

-- jobs.moveJobStatus: a status change that also sets the start times
update "robot_call_job"
set
  "status" = $1,
  "last_modified_at" = $2,
  "start_time" = $3,
  "system_pause_next_start" = $4
where
  "tenant_id" = $5
  and "id" = $6
  and "status" = $7;

-- jobs.addToTaskCallTotal: three tasks
update "robot_call_job"
set
  "task_call_total" = task_call_total + $1
where
  "tenant_id" = $2
  and "id" = $3;

-- jobs.addToCompletedTask: one task
update "robot_call_job"
set
  "completed_task" = completed_task + $1
where
  "tenant_id" = $2
  and "id" = $3;

-- jobs.deleteJob: a job and everything under it
delete from "call_detail"
where
  "tenant_id" = $1
  and "call_record_id" in (
    select
      "id"
    from
      "call_record"
    where
      "tenant_id" = $2
      and "job_id" = $3
  );

delete from "call_record"
where
  "tenant_id" = $1
  and "job_id" = $2;

delete from "call_record_phone_gram"
where
  "tenant_id" = $1
  and "job_id" = $2;

delete from "call_record_duration_count"
where
  "tenant_id" = $1
  and "job_id" = $2;

delete from "call_record_concern_count"
where
  "tenant_id" = $1
  and "job_id" = $2;

delete from "call_record_last_count"
where
  "tenant_id" = $1
  and "job_id" = $2;

delete from "job_day_stats"
where
  "tenant_id" = $1
  and "job_id" = $2;

delete from "job_concern_stats"
where
  "tenant_id" = $1
  and "job_id" = $2;

delete from "call_task"
where
  "tenant_id" = $1
  and "job_id" = $2;

delete from "job_phone_line"
where
  "tenant_id" = $1
  and "job_id" = $2;

delete from "robot_call_job"
where
  "tenant_id" = $1
  and "id" = $2;

-- jobs.listJobsToDial: every tenant’s jobs in a dialler status
select
  "j"."id",
  "j"."tenant_id",
  "j"."status",
  "j"."start_time",
  "j"."robot_count",
  "j"."daily_start_time",
  "j"."daily_end_time",
  "j"."inactive_time_list",
  "j"."task_call_total",
  "j"."completed_task",
  "j"."system_pause_reason",
  "t"."time_zone",
  "j"."dialog_flow_id",
  "j"."dialog_flow_version",
  "f"."definition",
  (
    select
      count(*) as "n"
    from
      "job_phone_line" as "jl"
    where
      "jl"."tenant_id" = "j"."tenant_id"
      and "jl"."job_id" = "j"."id"
  ) as "lines",
  (
    select
      count(*) as "n"
    from
      "job_phone_line" as "jl"
      inner join "phone_line" as "l" on "l"."tenant_id" = "jl"."tenant_id"
      and "l"."id" = "jl"."phone_line_id"
    where
      "jl"."tenant_id" = "j"."tenant_id"
      and "jl"."job_id" = "j"."id"
      and "l"."enabled_status" = $1
  ) as "usable_lines"
from
  "robot_call_job" as "j"
  inner join "tenant" as "t" on "t"."id" = "j"."tenant_id"
  inner join "dialog_flow_version" as "f" on "f"."dialog_flow_id" = "j"."dialog_flow_id"
  and "f"."version" = "j"."dialog_flow_version"
  and "f"."tenant_id" = "j"."tenant_id"
where
  "j"."status" in ($2, $3, $4)
order by
  "j"."id";

-- jobs.lockJob: a job
update "robot_call_job"
set
  "robot_count" = robot_count
where
  "tenant_id" = $1
  and "id" = $2;

-- jobs.lockJobForDelete: a job
select
  "id"
from
  "robot_call_job"
where
  "tenant_id" = $1
  and "id" = $2
for update;
