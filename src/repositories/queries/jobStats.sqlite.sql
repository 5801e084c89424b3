-- The SQL src/repositories/jobStats.ts runs on SQLite, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- jobStats.listJobDayStats: a job
select
  *
from
  "job_day_stats"
where
  "tenant_id" = ?
  and "job_id" = ?
order by
  "day";

-- jobStats.sumJobDayStats: a job
select
  sum("records") as "records",
  sum("answered") as "answered",
  sum("chat_duration_total") as "chat_duration_total",
  sum("intent_a") as "intent_a",
  sum("intent_b") as "intent_b",
  sum("intent_c") as "intent_c",
  sum("intent_d") as "intent_d",
  sum("intent_e") as "intent_e",
  sum("intent_f") as "intent_f",
  sum("result_answered") as "result_answered",
  sum("result_no_answer") as "result_no_answer",
  sum("result_busy") as "result_busy",
  sum("result_power_off") as "result_power_off",
  sum("result_out_of_service") as "result_out_of_service",
  sum("result_refused") as "result_refused",
  sum("result_vacant_number") as "result_vacant_number",
  sum("result_can_not_connect") as "result_can_not_connect",
  sum("result_from_phone_error") as "result_from_phone_error",
  sum("result_system_error") as "result_system_error",
  sum("chat_round_less_3") as "chat_round_less_3",
  sum("chat_round_f3_t6") as "chat_round_f3_t6",
  sum("chat_round_f6_t10") as "chat_round_f6_t10",
  sum("chat_round_f10_more") as "chat_round_f10_more",
  sum("chat_duration_less_10s") as "chat_duration_less_10s",
  sum("chat_duration_f10s_t1min") as "chat_duration_f10s_t1min",
  sum("chat_duration_f1min_t2min") as "chat_duration_f1min_t2min",
  sum("chat_duration_f2min_t3min") as "chat_duration_f2min_t3min",
  sum("chat_duration_f3min_tmore") as "chat_duration_f3min_tmore"
from
  "job_day_stats"
where
  "tenant_id" = cast(? as integer)
  and "job_id" = ?;

-- jobStats.listJobDaySeries: a job
select
  "day",
  "records",
  "answered",
  "chat_duration_total"
from
  "job_day_stats"
where
  "tenant_id" = cast(? as integer)
  and "job_id" = ?
  and "records" > ?
order by
  "day";

-- jobStats.listTopConcerns: a job’s top 10
select
  "concern"
from
  "job_concern_stats"
where
  "tenant_id" = cast(? as integer)
  and "job_id" = ?
order by
  "hits" desc,
  "concern"
limit
  ?;

-- jobStats.listJobIntentLevelTagDetails: the job’s flow’s group, else the tenant’s first
select
  "d"."id",
  "d"."intent_level_tag_id",
  "d"."code",
  "d"."name"
from
  "intent_level_tag_detail" as "d"
where
  "d"."tenant_id" = ?
  and "d"."intent_level_tag_id" = coalesce(
    (
      select
        "f"."intent_level_tag_id"
      from
        "robot_call_job" as "j"
        inner join "dialog_flow" as "f" on "f"."id" = "j"."dialog_flow_id"
        and "f"."tenant_id" = "j"."tenant_id"
      where
        "j"."tenant_id" = ?
        and "j"."id" = ?
    ),
    (
      select
        min("t"."id") as "id"
      from
        "intent_level_tag" as "t"
      where
        "t"."tenant_id" = ?
    )
  )
order by
  "d"."code";

-- jobStats.addDayStats: one day, every counter
insert into
  "job_day_stats" (
    "tenant_id",
    "job_id",
    "day",
    "records",
    "answered",
    "chat_duration_total",
    "intent_a",
    "intent_b",
    "intent_c",
    "intent_d",
    "intent_e",
    "intent_f",
    "result_answered",
    "result_no_answer",
    "result_busy",
    "result_power_off",
    "result_out_of_service",
    "result_refused",
    "result_vacant_number",
    "result_can_not_connect",
    "result_from_phone_error",
    "result_system_error",
    "chat_round_less_3",
    "chat_round_f3_t6",
    "chat_round_f6_t10",
    "chat_round_f10_more",
    "chat_duration_less_10s",
    "chat_duration_f10s_t1min",
    "chat_duration_f1min_t2min",
    "chat_duration_f2min_t3min",
    "chat_duration_f3min_tmore"
  )
values
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
on conflict ("tenant_id", "job_id", "day") do update
set
  "records" = "job_day_stats"."records" + "excluded"."records",
  "answered" = "job_day_stats"."answered" + "excluded"."answered",
  "chat_duration_total" = "job_day_stats"."chat_duration_total" + "excluded"."chat_duration_total",
  "intent_a" = "job_day_stats"."intent_a" + "excluded"."intent_a",
  "intent_b" = "job_day_stats"."intent_b" + "excluded"."intent_b",
  "intent_c" = "job_day_stats"."intent_c" + "excluded"."intent_c",
  "intent_d" = "job_day_stats"."intent_d" + "excluded"."intent_d",
  "intent_e" = "job_day_stats"."intent_e" + "excluded"."intent_e",
  "intent_f" = "job_day_stats"."intent_f" + "excluded"."intent_f",
  "result_answered" = "job_day_stats"."result_answered" + "excluded"."result_answered",
  "result_no_answer" = "job_day_stats"."result_no_answer" + "excluded"."result_no_answer",
  "result_busy" = "job_day_stats"."result_busy" + "excluded"."result_busy",
  "result_power_off" = "job_day_stats"."result_power_off" + "excluded"."result_power_off",
  "result_out_of_service" = "job_day_stats"."result_out_of_service" + "excluded"."result_out_of_service",
  "result_refused" = "job_day_stats"."result_refused" + "excluded"."result_refused",
  "result_vacant_number" = "job_day_stats"."result_vacant_number" + "excluded"."result_vacant_number",
  "result_can_not_connect" = "job_day_stats"."result_can_not_connect" + "excluded"."result_can_not_connect",
  "result_from_phone_error" = "job_day_stats"."result_from_phone_error" + "excluded"."result_from_phone_error",
  "result_system_error" = "job_day_stats"."result_system_error" + "excluded"."result_system_error",
  "chat_round_less_3" = "job_day_stats"."chat_round_less_3" + "excluded"."chat_round_less_3",
  "chat_round_f3_t6" = "job_day_stats"."chat_round_f3_t6" + "excluded"."chat_round_f3_t6",
  "chat_round_f6_t10" = "job_day_stats"."chat_round_f6_t10" + "excluded"."chat_round_f6_t10",
  "chat_round_f10_more" = "job_day_stats"."chat_round_f10_more" + "excluded"."chat_round_f10_more",
  "chat_duration_less_10s" = "job_day_stats"."chat_duration_less_10s" + "excluded"."chat_duration_less_10s",
  "chat_duration_f10s_t1min" = "job_day_stats"."chat_duration_f10s_t1min" + "excluded"."chat_duration_f10s_t1min",
  "chat_duration_f1min_t2min" = "job_day_stats"."chat_duration_f1min_t2min" + "excluded"."chat_duration_f1min_t2min",
  "chat_duration_f2min_t3min" = "job_day_stats"."chat_duration_f2min_t3min" + "excluded"."chat_duration_f2min_t3min",
  "chat_duration_f3min_tmore" = "job_day_stats"."chat_duration_f3min_tmore" + "excluded"."chat_duration_f3min_tmore";

-- jobStats.addConcernHits: one concern
insert into
  "job_concern_stats" ("tenant_id", "job_id", "concern", "hits")
values
  (?, ?, ?, ?)
on conflict ("tenant_id", "job_id", "concern") do update
set
  "hits" = "job_concern_stats"."hits" + "excluded"."hits";
