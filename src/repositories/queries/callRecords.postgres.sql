-- The SQL src/repositories/callRecords.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- callRecords.countCallRecords: the later API’s filters: counted row by row in the job’s index range
select
  count(*) as "n"
from
  "call_record" as "r"
where
  "r"."tenant_id" = $1
  and "r"."job_id" = $2
  and "r"."is_training" = $3
  and "r"."id" = $4
  and "r"."id" in (
    select
      "m"."id"
    from
      "call_record" as "m"
    where
      "m"."tenant_id" = $5
      and "m"."called_phone_number" = $6
      and "m"."job_id" = $7
  )
  and r.id in (
    select
      m.id
    from
      call_record m
    where
      m.tenant_id = $8
      and m.customer_person_id in (
        select
          n.customer_person_id
        from
          customer_name_gram n
        where
          n.tenant_id = $9
          and n.gram = $10
      )
  )
  and "r"."hangup_by" = $11
  and "r"."manual_marked" = $12
  and "r"."read_status" = $13
  and "r"."chat_duration" >= $14
  and "r"."chat_duration" <= $15
  and jsonb_exists_any ("r"."customer_concern", array[$16, $17]::text[]);

-- callRecords.countCallRecords: the later API’s hangupBy, readStatus and realIntent with the 2018 filters: a sum over the rollup (migration 0016)
select
  sum(records) as "n"
from
  "call_record_count"
where
  "tenant_id" = $1
  and "job_id" = $2
  and "is_training" = $3
  and "customer_group_id" = $4
  and "dialog_flow_id" = $5
  and "result_status" in ($6, $7)
  and "intent_level" in ($8, $9)
  and "hangup_by" = $10
  and "read_status" = $11
  and "manual_marked" = $12
  and "follow_status" = $13;

-- callRecords.countCallRecords: the later API’s chatDuration bounds with the rollups’ record columns: a sum over a range of call_record_duration_count (migration 0020)
select
  sum(records) as "n"
from
  "call_record_duration_count"
where
  "tenant_id" = $1
  and "job_id" = $2
  and "is_training" = $3
  and "customer_group_id" = $4
  and "dialog_flow_id" = $5
  and "result_status" in ($6)
  and "intent_level" in ($7, $8)
  and "hangup_by" = $9
  and "read_status" = $10
  and "manual_marked" = $11
  and "chat_duration" >= $12
  and "chat_duration" <= $13;

-- callRecords.countCallRecords: the later API’s customerConcern with a record column: a sum over the concern sets that meet it (migration 0020)
select
  sum(records) as "n"
from
  "call_record_concern_count"
where
  "tenant_id" = $1
  and "job_id" = $2
  and "is_training" = $3
  and "read_status" = $4
  and jsonb_exists_any ("concerns", array[$5, $6]::text[]);

-- callRecords.countCallRecords: the later API’s lastCallRecord with its filters: a sum over call_record_last_count (migration 0022)
select
  sum(records) as "n"
from
  "call_record_last_count"
where
  "tenant_id" = $1
  and "job_id" = $2
  and "result_status" in ($3)
  and "intent_level" in ($4, $5)
  and "redial_times" = $6
  and "chat_duration" >= $7;

-- callRecords.countCallRecords: lastCallRecord with start bounds: counted in call_record_job_last
select
  count(*) as "n"
from
  "call_record" as "r"
where
  "r"."tenant_id" = $1
  and "r"."job_id" = $2
  and "r"."is_last" = $3
  and "r"."start_time" >= $4
  and "r"."start_time" < $5
  and "r"."result_status" in ($6)
  and "r"."intent_level" in ($7, $8)
  and "r"."chat_duration" >= $9
  and "r"."redial_times" = $10;

-- callRecords.countCallRecords: no search, no start bounds: a sum over the rollup
select
  sum(records) as "n"
from
  "call_record_count"
where
  "tenant_id" = $1
  and "job_id" = $2
  and "is_training" = $3;

-- callRecords.countCallRecords: every filter, start bounds mid-day: the rollup over whole days plus a count of each partial day
select
  sum(records) as "n"
from
  "call_record_count"
where
  "tenant_id" = $1
  and "job_id" = $2
  and "is_training" = $3
  and "customer_group_id" = $4
  and "dialog_flow_id" = $5
  and "result_status" in ($6, $7)
  and "intent_level" in ($8, $9)
  and "utc_day" >= $10
  and "utc_day" < $11
  and "follow_status" = $12;

select
  count(*) as "n"
from
  "call_record" as "r"
where
  "r"."tenant_id" = $1
  and "r"."job_id" = $2
  and "r"."is_training" = $3
  and "r"."customer_group_id" = $4
  and "r"."dialog_flow_id" = $5
  and "r"."start_time" >= $6
  and "r"."start_time" < $7
  and "r"."result_status" in ($8, $9)
  and "r"."intent_level" in ($10, $11)
  and exists (
    select
      1 as "one"
    from
      "customer_person" as "c"
    where
      "c"."id" = "r"."customer_person_id"
      and "c"."tenant_id" = $12
      and "c"."follow_status" = $13
  );

select
  count(*) as "n"
from
  "call_record" as "r"
where
  "r"."tenant_id" = $1
  and "r"."job_id" = $2
  and "r"."is_training" = $3
  and "r"."customer_group_id" = $4
  and "r"."dialog_flow_id" = $5
  and "r"."start_time" >= $6
  and "r"."start_time" < $7
  and "r"."result_status" in ($8, $9)
  and "r"."intent_level" in ($10, $11)
  and exists (
    select
      1 as "one"
    from
      "customer_person" as "c"
    where
      "c"."id" = "r"."customer_person_id"
      and "c"."tenant_id" = $12
      and "c"."follow_status" = $13
  );

-- callRecords.countCallRecords: start bounds within one UTC day: a count of the records
select
  count(*) as "n"
from
  "call_record" as "r"
where
  "r"."tenant_id" = $1
  and "r"."job_id" = $2
  and "r"."is_training" = $3
  and "r"."start_time" >= $4
  and "r"."start_time" < $5;

-- callRecords.countCallRecords: a search of two characters alone: the numbers’ gram count plus the name matches whose number lacks it
select
  "records"
from
  "call_record_phone_gram"
where
  "tenant_id" = $1
  and "job_id" = $2
  and "is_training" = $3
  and "gram" = $4;

select
  count(*) as "n"
from
  "call_record" as "r"
where
  "r"."tenant_id" = $1
  and r.customer_person_id in (
    select
      n.customer_person_id
    from
      customer_name_gram n
    where
      n.tenant_id = $2
      and n.gram = $3
  )
  and "r"."job_id" = $4
  and "r"."is_training" = $5
  and not "r"."called_phone_number" like $6 escape '\';

-- callRecords.countCallRecords: a search of two characters with another filter: a count testing the job’s records
select
  count(*) as "n"
from
  "call_record" as "r"
where
  "r"."tenant_id" = $1
  and "r"."job_id" = $2
  and "r"."is_training" = $3
  and "r"."result_status" in ($4)
  and (
    "r"."called_phone_number" like $5 escape '\'
    or r.customer_person_id in (
      select
        n.customer_person_id
      from
        customer_name_gram n
      where
        n.tenant_id = $6
        and n.gram = $7
    )
  );

-- callRecords.countCallRecords: a search of three characters or more: a count through the trigram indexes
select
  count(*) as "n"
from
  "call_record" as "r"
where
  "r"."tenant_id" = $1
  and "r"."job_id" = $2
  and "r"."is_training" = $3
  and r.id in (
    select
      m.id
    from
      call_record m
    where
      m.tenant_id = $4
      and m.job_id = $5
      and m.called_phone_number like $6 escape '\'
    union all
    select
      m.id
    from
      call_record m
    where
      m.tenant_id = $7
      and m.customer_person_id in (
        select
          c.id
        from
          customer_person c
        where
          c.tenant_id = $8
          and c.name like $9 escape '\'
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
      "r"."tenant_id" = $1
      and "r"."job_id" = $2
      and "r"."is_training" = $3
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      $4
    offset
      $5
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and "r"."tenant_id" = "p"."tenant_id"
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
      "r"."tenant_id" = $1
      and "r"."job_id" = $2
      and "r"."is_training" = $3
      and "r"."id" = $4
      and "r"."id" in (
        select
          "m"."id"
        from
          "call_record" as "m"
        where
          "m"."tenant_id" = $5
          and "m"."called_phone_number" = $6
          and "m"."job_id" = $7
      )
      and r.id in (
        select
          m.id
        from
          call_record m
        where
          m.tenant_id = $8
          and m.customer_person_id in (
            select
              n.customer_person_id
            from
              customer_name_gram n
            where
              n.tenant_id = $9
              and n.gram = $10
          )
      )
      and "r"."hangup_by" = $11
      and "r"."manual_marked" = $12
      and "r"."read_status" = $13
      and "r"."chat_duration" >= $14
      and "r"."chat_duration" <= $15
      and jsonb_exists_any ("r"."customer_concern", array[$16, $17]::text[])
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      $18
    offset
      $19
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and "r"."tenant_id" = "p"."tenant_id"
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
      "r"."tenant_id" = $1
      and "r"."job_id" = $2
      and "r"."is_last" = $3
      and "r"."result_status" in ($4)
      and "r"."intent_level" in ($5, $6)
      and "r"."chat_duration" >= $7
      and "r"."redial_times" = $8
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      $9
    offset
      $10
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and "r"."tenant_id" = "p"."tenant_id"
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
      "r"."tenant_id" = $1
      and "r"."job_id" = $2
      and "r"."is_training" = $3
      and "r"."customer_group_id" = $4
      and "r"."dialog_flow_id" = $5
      and "r"."start_time" >= $6
      and "r"."start_time" < $7
      and "r"."result_status" in ($8, $9)
      and "r"."intent_level" in ($10, $11)
      and exists (
        select
          1 as "one"
        from
          "customer_person" as "c"
        where
          "c"."id" = "r"."customer_person_id"
          and "c"."tenant_id" = $12
          and "c"."follow_status" = $13
      )
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      $14
    offset
      $15
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and "r"."tenant_id" = "p"."tenant_id"
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
      "r"."tenant_id" = $1
      and "r"."job_id" = $2
      and "r"."is_training" = $3
      and (
        "r"."called_phone_number" like $4 escape '\'
        or r.customer_person_id in (
          select
            n.customer_person_id
          from
            customer_name_gram n
          where
            n.tenant_id = $5
            and n.gram = $6
        )
      )
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      $7
    offset
      $8
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and "r"."tenant_id" = "p"."tenant_id"
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
  "tenant_id" = $1
  and "job_id" = $2
  and "is_training" = $3
  and "gram" = $4;

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
      "r"."tenant_id" = $1
      and "r"."job_id" = $2
      and "r"."is_training" = $3
      and r.customer_person_id in (
        select
          n.customer_person_id
        from
          customer_name_gram n
        where
          n.tenant_id = $4
          and n.gram = $5
      )
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      $6
    offset
      $7
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and "r"."tenant_id" = "p"."tenant_id"
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
  "tenant_id" = $1
  and "job_id" = $2
  and "is_training" = $3
  and "gram" = $4;

select
  sum(records) as "n"
from
  "call_record_count"
where
  "tenant_id" = $1
  and "job_id" = $2
  and "is_training" = $3;

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
      "r"."tenant_id" = $1
      and "r"."job_id" = $2
      and "r"."is_training" = $3
      and (
        "r"."called_phone_number" like $4 escape '\'
        or r.customer_person_id in (
          select
            n.customer_person_id
          from
            customer_name_gram n
          where
            n.tenant_id = $5
            and n.gram = $6
        )
      )
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      $7
    offset
      $8
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and "r"."tenant_id" = "p"."tenant_id"
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
      "r"."tenant_id" = $1
      and "r"."job_id" = $2
      and "r"."is_training" = $3
      and r.id in (
        select
          m.id
        from
          call_record m
        where
          m.tenant_id = $4
          and m.job_id = $5
          and m.called_phone_number like $6 escape '\'
        union all
        select
          m.id
        from
          call_record m
        where
          m.tenant_id = $7
          and m.customer_person_id in (
            select
              c.id
            from
              customer_person c
            where
              c.tenant_id = $8
              and c.name like $9 escape '\'
          )
      )
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      $10
    offset
      $11
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and "r"."tenant_id" = "p"."tenant_id"
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
  "tenant_id" = $1
  and "job_id" = $2
  and "is_training" = $3;

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
      "r"."tenant_id" = $1
      and "r"."job_id" = $2
      and "r"."is_training" = $3
      and (
        "r"."called_phone_number" like $4 escape '\'
        or r.customer_person_id in (
          select
            c.id
          from
            customer_person c
          where
            c.tenant_id = $5
            and "c"."name" like $6 escape '\'
        )
      )
    order by
      "r"."start_time" desc,
      "r"."id" desc
    limit
      $7
    offset
      $8
  ) as "p"
  inner join "call_record" as "r" on "r"."id" = "p"."id"
  and "r"."tenant_id" = "p"."tenant_id"
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
  "tenant_id" = $1
  and "call_record_id" in ($2, $3)
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
  "tenant_id" = $1
  and "call_record_id" = $2
order by
  "seq";

-- callRecords.findCallRecord: by id
select
  *
from
  "call_record"
where
  "tenant_id" = $1
  and "id" = $2;

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
    "hangup_by",
    "redial_times",
    "is_last"
  )
select
  *
from
  unnest(
    $1::bigint[],
    $2::bigint[],
    $3::bigint[],
    $4::bigint[],
    $5::bigint[],
    $6::bigint[],
    $7::text[],
    $8::bigint[],
    $9::text[],
    $10::text[],
    $11::text[],
    $12::jsonb[],
    $13::text[],
    $14::text[],
    $15::text[],
    $16::bigint[],
    $17::bigint[],
    $18::integer[],
    $19::integer[],
    $20::integer[],
    $21::text[],
    $22::jsonb[],
    $23::integer[],
    $24::text[],
    $25::bigint[],
    $26::text[],
    $27::integer[],
    $28::integer[]
  )
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
  "tenant_id" = $1
  and "idempotency_key" = any ($2);

-- callRecords.insertTurns: two turns of one record
insert into
  "call_detail" (
    "tenant_id",
    "call_record_id",
    "seq",
    "type",
    "text"
  )
select
  *
from
  unnest(
    $1::bigint[],
    $2::bigint[],
    $3::integer[],
    $4::text[],
    $5::text[]
  );

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
  "tenant_id" = $1
  and "call_task_id" = any ($2)
  and "is_training" = $3
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
  "tenant_id" = $1
  and "call_task_id" = any ($2)
  and "is_training" = $3
  and "is_last" = $4;

update "call_record"
set
  "is_last" = $1
where
  "tenant_id" = $2
  and "id" = any ($3);

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
  ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13),
  ($14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)
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
  ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12),
  ($13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
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
  ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12),
  ($13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
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
select
  "tenant_id",
  "job_id",
  "redial_times",
  "chat_duration",
  "result_status",
  "intent_level",
  coalesce(customer_group_id, 0) as "customer_group_id",
  "dialog_flow_id",
  coalesce(hangup_by, '') as "hangup_by",
  "read_status",
  "manual_marked"
from
  "call_record"
where
  "tenant_id" = $1
  and "call_task_id" in ($2)
  and "is_last" = $3;

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
  ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12),
  ($13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
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
  "excluded"."records" <> $25;
