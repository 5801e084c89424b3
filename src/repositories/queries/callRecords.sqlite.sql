-- The SQL src/repositories/callRecords.ts runs on SQLite, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- callRecords.countCallRecords: the later API’s filters: counted row by row in the job’s index range
select
  count(*) as "n"
from
  "call_record" as "r"
where
  "r"."tenant_id" = ?
  and "r"."job_id" = ?
  and "r"."is_training" = ?
  and "r"."id" = ?
  and "r"."id" in (
    select
      "m"."id"
    from
      "call_record" as "m"
    where
      "m"."tenant_id" = ?
      and "m"."called_phone_number" = ?
      and "m"."job_id" = ?
  )
  and r.id in (
    select
      m.id
    from
      call_record m
    where
      m.tenant_id = ?
      and m.customer_person_id in (
        select
          n.customer_person_id
        from
          customer_name_gram n
        where
          n.tenant_id = ?
          and n.gram = ?
      )
  )
  and "r"."hangup_by" = ?
  and "r"."manual_marked" = ?
  and "r"."read_status" = ?
  and "r"."chat_duration" >= ?
  and "r"."chat_duration" <= ?
  and exists (
    select
      1
    from
      json_each("r"."customer_concern")
    where
      json_each.value in (?, ?)
  );

-- callRecords.countCallRecords: the later API’s hangupBy, readStatus and realIntent with the 2018 filters: a sum over the rollup (migration 0016)
select
  sum(records) as "n"
from
  "call_record_count"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "is_training" = ?
  and "customer_group_id" = ?
  and "dialog_flow_id" = ?
  and "result_status" in (?, ?)
  and "intent_level" in (?, ?)
  and "hangup_by" = ?
  and "read_status" = ?
  and "manual_marked" = ?
  and "follow_status" = ?;

-- callRecords.countCallRecords: the later API’s chatDuration bounds with the rollups’ record columns: a sum over a range of call_record_duration_count (migration 0020)
select
  sum(records) as "n"
from
  "call_record_duration_count"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "is_training" = ?
  and "customer_group_id" = ?
  and "dialog_flow_id" = ?
  and "result_status" in (?)
  and "intent_level" in (?, ?)
  and "hangup_by" = ?
  and "read_status" = ?
  and "manual_marked" = ?
  and "chat_duration" >= ?
  and "chat_duration" <= ?;

-- callRecords.countCallRecords: the later API’s customerConcern with a record column: a sum over the concern sets that meet it (migration 0020)
select
  sum(records) as "n"
from
  "call_record_concern_count"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "is_training" = ?
  and "read_status" = ?
  and exists (
    select
      1
    from
      json_each("concerns")
    where
      json_each.value in (?, ?)
  );

-- callRecords.countCallRecords: the later API’s lastCallRecord with its filters: a sum over call_record_last_count (migration 0022)
select
  sum(records) as "n"
from
  "call_record_last_count"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "result_status" in (?)
  and "intent_level" in (?, ?)
  and "redial_times" = ?
  and "chat_duration" >= ?;

-- callRecords.countCallRecords: lastCallRecord with start bounds: counted in call_record_job_last
select
  count(*) as "n"
from
  "call_record" as "r"
where
  "r"."tenant_id" = ?
  and "r"."job_id" = ?
  and "r"."is_last" = ?
  and "r"."start_time" >= ?
  and "r"."start_time" < ?
  and "r"."result_status" in (?)
  and "r"."intent_level" in (?, ?)
  and "r"."chat_duration" >= ?
  and "r"."redial_times" = ?;

-- callRecords.countCallRecords: no search, no start bounds: a sum over the rollup
select
  sum(records) as "n"
from
  "call_record_count"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "is_training" = ?;

-- callRecords.countCallRecords: every filter, start bounds mid-day: the rollup over whole days plus a count of each partial day
select
  sum(records) as "n"
from
  "call_record_count"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "is_training" = ?
  and "customer_group_id" = ?
  and "dialog_flow_id" = ?
  and "result_status" in (?, ?)
  and "intent_level" in (?, ?)
  and "utc_day" >= ?
  and "utc_day" < ?
  and "follow_status" = ?;

select
  count(*) as "n"
from
  "call_record" as "r"
where
  "r"."tenant_id" = ?
  and "r"."job_id" = ?
  and "r"."is_training" = ?
  and "r"."customer_group_id" = ?
  and "r"."dialog_flow_id" = ?
  and "r"."start_time" >= ?
  and "r"."start_time" < ?
  and "r"."result_status" in (?, ?)
  and "r"."intent_level" in (?, ?)
  and exists (
    select
      1 as "one"
    from
      "customer_person" as "c"
    where
      "c"."id" = "r"."customer_person_id"
      and "c"."tenant_id" = ?
      and "c"."follow_status" = ?
  );

select
  count(*) as "n"
from
  "call_record" as "r"
where
  "r"."tenant_id" = ?
  and "r"."job_id" = ?
  and "r"."is_training" = ?
  and "r"."customer_group_id" = ?
  and "r"."dialog_flow_id" = ?
  and "r"."start_time" >= ?
  and "r"."start_time" < ?
  and "r"."result_status" in (?, ?)
  and "r"."intent_level" in (?, ?)
  and exists (
    select
      1 as "one"
    from
      "customer_person" as "c"
    where
      "c"."id" = "r"."customer_person_id"
      and "c"."tenant_id" = ?
      and "c"."follow_status" = ?
  );

-- callRecords.countCallRecords: start bounds within one UTC day: a count of the records
select
  count(*) as "n"
from
  "call_record" as "r"
where
  "r"."tenant_id" = ?
  and "r"."job_id" = ?
  and "r"."is_training" = ?
  and "r"."start_time" >= ?
  and "r"."start_time" < ?;

-- callRecords.countCallRecords: a search of two characters alone: the numbers’ gram count plus the name matches whose number lacks it
select
  "records"
from
  "call_record_phone_gram"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "is_training" = ?
  and "gram" = ?;

select
  count(*) as "n"
from
  "call_record" as "r"
where
  "r"."tenant_id" = ?
  and r.customer_person_id in (
    select
      n.customer_person_id
    from
      customer_name_gram n
    where
      n.tenant_id = ?
      and n.gram = ?
  )
  and "r"."job_id" = ?
  and "r"."is_training" = ?
  and not "r"."called_phone_number" like ? escape '\';

-- callRecords.countCallRecords: a search of two characters with another filter: a count testing the job’s records
select
  count(*) as "n"
from
  "call_record" as "r"
where
  "r"."tenant_id" = ?
  and "r"."job_id" = ?
  and "r"."is_training" = ?
  and "r"."result_status" in (?)
  and (
    "r"."called_phone_number" like ? escape '\'
    or r.customer_person_id in (
      select
        n.customer_person_id
      from
        customer_name_gram n
      where
        n.tenant_id = ?
        and n.gram = ?
    )
  );

-- callRecords.countCallRecords: a search of three characters or more: a count through the trigram indexes
select
  count(*) as "n"
from
  "call_record" as "r"
where
  "r"."tenant_id" = ?
  and "r"."job_id" = ?
  and "r"."is_training" = ?
  and r.id in (
    select
      rowid
    from
      call_record_phone_fts
    where
      call_record_phone_fts match ?
    union all
    select
      m.id
    from
      call_record m
    where
      m.tenant_id = ?
      and m.customer_person_id in (
        select
          rowid
        from
          customer_name_fts
        where
          customer_name_fts match ?
      )
  );

-- callRecords.listCallRecords: no filter but the job, first page
select
  "r".*,
  "g"."name" as "customer_group_name",
  "j"."name" as "job_name",
  "f"."name" as "dialog_flow_name",
  "cp"."name" as "customer_name",
  "cp"."phone_number" as "customer_phone_number",
  "cp"."gender" as "customer_gender",
  "cp"."follow_status" as "customer_follow_status",
  "cp"."properties" as "customer_properties"
from
  (
    select
      "r"."id",
      "r"."tenant_id"
    from
      "call_record" as "r"
    where
      "r"."tenant_id" = ?
      and "r"."job_id" = ?
      and "r"."is_training" = ?
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      ?
    offset
      ?
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and +"r"."tenant_id" = "p"."tenant_id"
  left join "customer_person" as "cp" on "cp"."id" = "r"."customer_person_id"
  and "cp"."tenant_id" = "r"."tenant_id"
  left join "customer_group" as "g" on "g"."id" = "r"."customer_group_id"
  and "g"."tenant_id" = "r"."tenant_id"
  inner join "robot_call_job" as "j" on "j"."id" = "r"."job_id"
  and "j"."tenant_id" = "r"."tenant_id"
  left join "dialog_flow" as "f" on "f"."id" = "r"."dialog_flow_id"
  and "f"."tenant_id" = "r"."tenant_id"
order by
  "r"."start_time" desc,
  "r"."id" desc;

-- callRecords.listCallRecords: the later API’s filters (a number, a name, hang-up side, mark, read status, duration, concerns)
select
  "r".*,
  "g"."name" as "customer_group_name",
  "j"."name" as "job_name",
  "f"."name" as "dialog_flow_name",
  "cp"."name" as "customer_name",
  "cp"."phone_number" as "customer_phone_number",
  "cp"."gender" as "customer_gender",
  "cp"."follow_status" as "customer_follow_status",
  "cp"."properties" as "customer_properties"
from
  (
    select
      "r"."id",
      "r"."tenant_id"
    from
      "call_record" as "r"
    where
      "r"."tenant_id" = ?
      and "r"."job_id" = ?
      and "r"."is_training" = ?
      and "r"."id" = ?
      and "r"."id" in (
        select
          "m"."id"
        from
          "call_record" as "m"
        where
          "m"."tenant_id" = ?
          and "m"."called_phone_number" = ?
          and "m"."job_id" = ?
      )
      and r.id in (
        select
          m.id
        from
          call_record m
        where
          m.tenant_id = ?
          and m.customer_person_id in (
            select
              n.customer_person_id
            from
              customer_name_gram n
            where
              n.tenant_id = ?
              and n.gram = ?
          )
      )
      and "r"."hangup_by" = ?
      and "r"."manual_marked" = ?
      and "r"."read_status" = ?
      and "r"."chat_duration" >= ?
      and "r"."chat_duration" <= ?
      and exists (
        select
          1
        from
          json_each("r"."customer_concern")
        where
          json_each.value in (?, ?)
      )
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      ?
    offset
      ?
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and +"r"."tenant_id" = "p"."tenant_id"
  left join "customer_person" as "cp" on "cp"."id" = "r"."customer_person_id"
  and "cp"."tenant_id" = "r"."tenant_id"
  left join "customer_group" as "g" on "g"."id" = "r"."customer_group_id"
  and "g"."tenant_id" = "r"."tenant_id"
  inner join "robot_call_job" as "j" on "j"."id" = "r"."job_id"
  and "j"."tenant_id" = "r"."tenant_id"
  left join "dialog_flow" as "f" on "f"."id" = "r"."dialog_flow_id"
  and "f"."tenant_id" = "r"."tenant_id"
order by
  "r"."start_time" desc,
  "r"."id" desc;

-- callRecords.listCallRecords: the later API’s lastCallRecord, with results, intents, duration and redial
select
  "r".*,
  "g"."name" as "customer_group_name",
  "j"."name" as "job_name",
  "f"."name" as "dialog_flow_name",
  "cp"."name" as "customer_name",
  "cp"."phone_number" as "customer_phone_number",
  "cp"."gender" as "customer_gender",
  "cp"."follow_status" as "customer_follow_status",
  "cp"."properties" as "customer_properties"
from
  (
    select
      "r"."id",
      "r"."tenant_id"
    from
      "call_record" as "r"
    where
      "r"."tenant_id" = ?
      and "r"."job_id" = ?
      and "r"."is_last" = ?
      and "r"."result_status" in (?)
      and "r"."intent_level" in (?, ?)
      and "r"."chat_duration" >= ?
      and "r"."redial_times" = ?
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      ?
    offset
      ?
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and +"r"."tenant_id" = "p"."tenant_id"
  left join "customer_person" as "cp" on "cp"."id" = "r"."customer_person_id"
  and "cp"."tenant_id" = "r"."tenant_id"
  left join "customer_group" as "g" on "g"."id" = "r"."customer_group_id"
  and "g"."tenant_id" = "r"."tenant_id"
  inner join "robot_call_job" as "j" on "j"."id" = "r"."job_id"
  and "j"."tenant_id" = "r"."tenant_id"
  left join "dialog_flow" as "f" on "f"."id" = "r"."dialog_flow_id"
  and "f"."tenant_id" = "r"."tenant_id"
order by
  "r"."start_time" desc,
  "r"."id" desc;

-- callRecords.listCallRecords: every filter and start bounds, third page
select
  "r".*,
  "g"."name" as "customer_group_name",
  "j"."name" as "job_name",
  "f"."name" as "dialog_flow_name",
  "cp"."name" as "customer_name",
  "cp"."phone_number" as "customer_phone_number",
  "cp"."gender" as "customer_gender",
  "cp"."follow_status" as "customer_follow_status",
  "cp"."properties" as "customer_properties"
from
  (
    select
      "r"."id",
      "r"."tenant_id"
    from
      "call_record" as "r"
    where
      "r"."tenant_id" = ?
      and "r"."job_id" = ?
      and "r"."is_training" = ?
      and "r"."customer_group_id" = ?
      and "r"."dialog_flow_id" = ?
      and "r"."start_time" >= ?
      and "r"."start_time" < ?
      and "r"."result_status" in (?, ?)
      and "r"."intent_level" in (?, ?)
      and exists (
        select
          1 as "one"
        from
          "customer_person" as "c"
        where
          "c"."id" = "r"."customer_person_id"
          and "c"."tenant_id" = ?
          and "c"."follow_status" = ?
      )
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      ?
    offset
      ?
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and +"r"."tenant_id" = "p"."tenant_id"
  left join "customer_person" as "cp" on "cp"."id" = "r"."customer_person_id"
  and "cp"."tenant_id" = "r"."tenant_id"
  left join "customer_group" as "g" on "g"."id" = "r"."customer_group_id"
  and "g"."tenant_id" = "r"."tenant_id"
  inner join "robot_call_job" as "j" on "j"."id" = "r"."job_id"
  and "j"."tenant_id" = "r"."tenant_id"
  left join "dialog_flow" as "f" on "f"."id" = "r"."dialog_flow_id"
  and "f"."tenant_id" = "r"."tenant_id"
order by
  "r"."start_time" desc,
  "r"."id" desc;

-- callRecords.listCallRecords: a search of two characters
select
  "r".*,
  "g"."name" as "customer_group_name",
  "j"."name" as "job_name",
  "f"."name" as "dialog_flow_name",
  "cp"."name" as "customer_name",
  "cp"."phone_number" as "customer_phone_number",
  "cp"."gender" as "customer_gender",
  "cp"."follow_status" as "customer_follow_status",
  "cp"."properties" as "customer_properties"
from
  (
    select
      "r"."id",
      "r"."tenant_id"
    from
      "call_record" as "r"
    where
      "r"."tenant_id" = ?
      and "r"."job_id" = ?
      and "r"."is_training" = ?
      and (
        "r"."called_phone_number" like ? escape '\'
        or r.customer_person_id in (
          select
            n.customer_person_id
          from
            customer_name_gram n
          where
            n.tenant_id = ?
            and n.gram = ?
        )
      )
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      ?
    offset
      ?
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and +"r"."tenant_id" = "p"."tenant_id"
  left join "customer_person" as "cp" on "cp"."id" = "r"."customer_person_id"
  and "cp"."tenant_id" = "r"."tenant_id"
  left join "customer_group" as "g" on "g"."id" = "r"."customer_group_id"
  and "g"."tenant_id" = "r"."tenant_id"
  inner join "robot_call_job" as "j" on "j"."id" = "r"."job_id"
  and "j"."tenant_id" = "r"."tenant_id"
  left join "dialog_flow" as "f" on "f"."id" = "r"."dialog_flow_id"
  and "f"."tenant_id" = "r"."tenant_id"
order by
  "r"."start_time" desc,
  "r"."id" desc;

-- callRecords.listCallRecords: a search of two characters no number contains, with its total: the name matches read
select
  "records"
from
  "call_record_phone_gram"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "is_training" = ?
  and "gram" = ?;

select
  "r".*,
  "g"."name" as "customer_group_name",
  "j"."name" as "job_name",
  "f"."name" as "dialog_flow_name",
  "cp"."name" as "customer_name",
  "cp"."phone_number" as "customer_phone_number",
  "cp"."gender" as "customer_gender",
  "cp"."follow_status" as "customer_follow_status",
  "cp"."properties" as "customer_properties"
from
  (
    select
      "r"."id",
      "r"."tenant_id"
    from
      "call_record" as "r"
    where
      "r"."tenant_id" = ?
      and "r"."job_id" = ?
      and "r"."is_training" = ?
      and r.customer_person_id in (
        select
          n.customer_person_id
        from
          customer_name_gram n
        where
          n.tenant_id = ?
          and n.gram = ?
      )
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      ?
    offset
      ?
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and +"r"."tenant_id" = "p"."tenant_id"
  left join "customer_person" as "cp" on "cp"."id" = "r"."customer_person_id"
  and "cp"."tenant_id" = "r"."tenant_id"
  left join "customer_group" as "g" on "g"."id" = "r"."customer_group_id"
  and "g"."tenant_id" = "r"."tenant_id"
  inner join "robot_call_job" as "j" on "j"."id" = "r"."job_id"
  and "j"."tenant_id" = "r"."tenant_id"
  left join "dialog_flow" as "f" on "f"."id" = "r"."dialog_flow_id"
  and "f"."tenant_id" = "r"."tenant_id"
order by
  "r"."start_time" desc,
  "r"."id" desc;

-- callRecords.listCallRecords: a search of one digit with its total: the gram count says numbers match, so the list index is walked
select
  "records"
from
  "call_record_phone_gram"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "is_training" = ?
  and "gram" = ?;

select
  sum(records) as "n"
from
  "call_record_count"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "is_training" = ?;

select
  "r".*,
  "g"."name" as "customer_group_name",
  "j"."name" as "job_name",
  "f"."name" as "dialog_flow_name",
  "cp"."name" as "customer_name",
  "cp"."phone_number" as "customer_phone_number",
  "cp"."gender" as "customer_gender",
  "cp"."follow_status" as "customer_follow_status",
  "cp"."properties" as "customer_properties"
from
  (
    select
      "r"."id",
      "r"."tenant_id"
    from
      "call_record" as "r"
    where
      "r"."tenant_id" = ?
      and "r"."job_id" = ?
      and "r"."is_training" = ?
      and (
        "r"."called_phone_number" like ? escape '\'
        or r.customer_person_id in (
          select
            n.customer_person_id
          from
            customer_name_gram n
          where
            n.tenant_id = ?
            and n.gram = ?
        )
      )
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      ?
    offset
      ?
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and +"r"."tenant_id" = "p"."tenant_id"
  left join "customer_person" as "cp" on "cp"."id" = "r"."customer_person_id"
  and "cp"."tenant_id" = "r"."tenant_id"
  left join "customer_group" as "g" on "g"."id" = "r"."customer_group_id"
  and "g"."tenant_id" = "r"."tenant_id"
  inner join "robot_call_job" as "j" on "j"."id" = "r"."job_id"
  and "j"."tenant_id" = "r"."tenant_id"
  left join "dialog_flow" as "f" on "f"."id" = "r"."dialog_flow_id"
  and "f"."tenant_id" = "r"."tenant_id"
order by
  "r"."start_time" desc,
  "r"."id" desc;

-- callRecords.listCallRecords: a search of three characters or more, without the total: the matches read through the trigram indexes
select
  "r".*,
  "g"."name" as "customer_group_name",
  "j"."name" as "job_name",
  "f"."name" as "dialog_flow_name",
  "cp"."name" as "customer_name",
  "cp"."phone_number" as "customer_phone_number",
  "cp"."gender" as "customer_gender",
  "cp"."follow_status" as "customer_follow_status",
  "cp"."properties" as "customer_properties"
from
  (
    select
      "r"."id",
      "r"."tenant_id"
    from
      "call_record" as "r"
    where
      "r"."tenant_id" = ?
      and "r"."job_id" = ?
      and "r"."is_training" = ?
      and r.id in (
        select
          rowid
        from
          call_record_phone_fts
        where
          call_record_phone_fts match ?
        union all
        select
          m.id
        from
          call_record m
        where
          m.tenant_id = ?
          and m.customer_person_id in (
            select
              rowid
            from
              customer_name_fts
            where
              customer_name_fts match ?
          )
      )
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      ?
    offset
      ?
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and +"r"."tenant_id" = "p"."tenant_id"
  left join "customer_person" as "cp" on "cp"."id" = "r"."customer_person_id"
  and "cp"."tenant_id" = "r"."tenant_id"
  left join "customer_group" as "g" on "g"."id" = "r"."customer_group_id"
  and "g"."tenant_id" = "r"."tenant_id"
  inner join "robot_call_job" as "j" on "j"."id" = "r"."job_id"
  and "j"."tenant_id" = "r"."tenant_id"
  left join "dialog_flow" as "f" on "f"."id" = "r"."dialog_flow_id"
  and "f"."tenant_id" = "r"."tenant_id"
order by
  "r"."start_time" desc,
  "r"."id" desc;

-- callRecords.listCallRecords: a search with a total of 5000 matches: the rollup weighs walking the list index, which wins
select
  sum(records) as "n"
from
  "call_record_count"
where
  "tenant_id" = ?
  and "job_id" = ?
  and "is_training" = ?;

select
  "r".*,
  "g"."name" as "customer_group_name",
  "j"."name" as "job_name",
  "f"."name" as "dialog_flow_name",
  "cp"."name" as "customer_name",
  "cp"."phone_number" as "customer_phone_number",
  "cp"."gender" as "customer_gender",
  "cp"."follow_status" as "customer_follow_status",
  "cp"."properties" as "customer_properties"
from
  (
    select
      "r"."id",
      "r"."tenant_id"
    from
      "call_record" as "r"
    where
      "r"."tenant_id" = ?
      and "r"."job_id" = ?
      and "r"."is_training" = ?
      and +r.id in (
        select
          rowid
        from
          call_record_phone_fts
        where
          call_record_phone_fts match ?
        union all
        select
          m.id
        from
          call_record m
        where
          m.tenant_id = ?
          and m.customer_person_id in (
            select
              rowid
            from
              customer_name_fts
            where
              customer_name_fts match ?
          )
      )
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      ?
    offset
      ?
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and +"r"."tenant_id" = "p"."tenant_id"
  left join "customer_person" as "cp" on "cp"."id" = "r"."customer_person_id"
  and "cp"."tenant_id" = "r"."tenant_id"
  left join "customer_group" as "g" on "g"."id" = "r"."customer_group_id"
  and "g"."tenant_id" = "r"."tenant_id"
  inner join "robot_call_job" as "j" on "j"."id" = "r"."job_id"
  and "j"."tenant_id" = "r"."tenant_id"
  left join "dialog_flow" as "f" on "f"."id" = "r"."dialog_flow_id"
  and "f"."tenant_id" = "r"."tenant_id"
order by
  "r"."start_time" desc,
  "r"."id" desc;

-- callRecords.listTurns: two records
select
  "id",
  "call_record_id",
  "type",
  "text"
from
  "call_detail"
where
  "tenant_id" = ?
  and "call_record_id" in (?, ?)
order by
  "call_record_id",
  "seq";

-- callRecords.listTurnsOfRecord: one record
select
  "id",
  "call_record_id",
  "type",
  "text"
from
  "call_detail"
where
  "tenant_id" = cast(? as integer)
  and "call_record_id" = ?
order by
  "seq";

-- callRecords.findCallRecord: by id
select
  *
from
  "call_record"
where
  "tenant_id" = cast(? as integer)
  and "id" = ?;

-- callRecords.insertNewCallRecords: two records
insert into
  "call_record" (
    "tenant_id",
    "job_id",
    "call_task_id",
    "customer_person_id",
    "customer_group_id",
    "dialog_flow_id",
    "called_phone_number",
    "phone_line_id",
    "result_status",
    "intent_level",
    "real_intent_level",
    "customer_concern",
    "full_audio_url",
    "customer_audio_url",
    "analysis_basis",
    "start_time",
    "end_time",
    "chat_duration",
    "chat_round",
    "manual_marked",
    "read_status",
    "attributes",
    "is_training",
    "idempotency_key",
    "created_at",
    "redial_times",
    "is_last"
  )
values
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
on conflict ("tenant_id", "idempotency_key") do nothing
returning
  "id",
  "idempotency_key";

insert into
  "call_record" (
    "tenant_id",
    "job_id",
    "call_task_id",
    "customer_person_id",
    "customer_group_id",
    "dialog_flow_id",
    "called_phone_number",
    "phone_line_id",
    "result_status",
    "intent_level",
    "real_intent_level",
    "customer_concern",
    "full_audio_url",
    "customer_audio_url",
    "analysis_basis",
    "start_time",
    "end_time",
    "chat_duration",
    "chat_round",
    "manual_marked",
    "read_status",
    "attributes",
    "is_training",
    "idempotency_key",
    "created_at",
    "redial_times",
    "is_last"
  )
values
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
on conflict ("tenant_id", "idempotency_key") do nothing
returning
  "id",
  "idempotency_key";

-- callRecords.findCallRecordIdsByIdempotencyKey: two keys
select
  "id",
  "idempotency_key"
from
  "call_record"
where
  "tenant_id" = ?
  and "idempotency_key" in (?, ?);

-- callRecords.insertTurns: two turns of one record
insert into
  "call_detail" (
    "tenant_id",
    "call_record_id",
    "seq",
    "type",
    "text"
  )
values
  (?, ?, ?, ?, ?);

insert into
  "call_detail" (
    "tenant_id",
    "call_record_id",
    "seq",
    "type",
    "text"
  )
values
  (?, ?, ?, ?, ?);

-- callRecords.callHistoryOfTasks: two call tasks
select
  "call_task_id",
  count(*) as "n",
  max(
    case
      when is_last = 1 then start_time
    end
  ) as "last_start",
  max(
    case
      when is_last = 1 then id
    end
  ) as "last_id"
from
  "call_record"
where
  "tenant_id" = ?
  and "call_task_id" in (?, ?)
  and "is_training" = ?
group by
  "call_task_id";

-- callRecords.markLastCalls: a new call of a task
select
  "id",
  "call_task_id",
  "start_time"
from
  "call_record"
where
  "tenant_id" = ?
  and "call_task_id" in (?)
  and "is_training" = ?
  and "is_last" = ?;

update "call_record"
set
  "is_last" = ?
where
  "tenant_id" = ?
  and "id" in (?);

-- callRecords.addRecordCounts: two records under two count keys
insert into
  "call_record_count" (
    "tenant_id",
    "job_id",
    "is_training",
    "utc_day",
    "result_status",
    "intent_level",
    "customer_group_id",
    "dialog_flow_id",
    "follow_status",
    "hangup_by",
    "read_status",
    "manual_marked",
    "records"
  )
values
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
on conflict (
  "tenant_id",
  "job_id",
  "is_training",
  "utc_day",
  "result_status",
  "intent_level",
  "customer_group_id",
  "dialog_flow_id",
  "follow_status",
  "hangup_by",
  "read_status",
  "manual_marked"
) do update
set
  "records" = "call_record_count"."records" + "excluded"."records";

insert into
  "call_record_duration_count" (
    "tenant_id",
    "job_id",
    "is_training",
    "result_status",
    "intent_level",
    "customer_group_id",
    "dialog_flow_id",
    "hangup_by",
    "read_status",
    "manual_marked",
    "records",
    "chat_duration"
  )
values
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
on conflict (
  "tenant_id",
  "job_id",
  "is_training",
  "chat_duration",
  "result_status",
  "intent_level",
  "customer_group_id",
  "dialog_flow_id",
  "hangup_by",
  "read_status",
  "manual_marked"
) do update
set
  "records" = "call_record_duration_count"."records" + "excluded"."records";

insert into
  "call_record_concern_count" (
    "tenant_id",
    "job_id",
    "is_training",
    "result_status",
    "intent_level",
    "customer_group_id",
    "dialog_flow_id",
    "hangup_by",
    "read_status",
    "manual_marked",
    "records",
    "concerns"
  )
values
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
on conflict (
  "tenant_id",
  "job_id",
  "is_training",
  "concerns",
  "result_status",
  "intent_level",
  "customer_group_id",
  "dialog_flow_id",
  "hangup_by",
  "read_status",
  "manual_marked"
) do update
set
  "records" = "call_record_concern_count"."records" + "excluded"."records";

-- callRecords.addLastCallCounts: a latest call of a task and a call of no task
insert into
  "call_record_last_count" (
    "tenant_id",
    "job_id",
    "redial_times",
    "chat_duration",
    "result_status",
    "intent_level",
    "customer_group_id",
    "dialog_flow_id",
    "hangup_by",
    "read_status",
    "manual_marked",
    "records"
  )
values
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
on conflict (
  "tenant_id",
  "job_id",
  "redial_times",
  "chat_duration",
  "result_status",
  "intent_level",
  "customer_group_id",
  "dialog_flow_id",
  "hangup_by",
  "read_status",
  "manual_marked"
) do update
set
  "records" = "call_record_last_count"."records" + "excluded"."records"
where
  "excluded"."records" <> ?;
