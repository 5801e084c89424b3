-- The SQL src/repositories/calledCustomers.ts runs on SQLite, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- calledCustomers.findCalledCustomers: no filter
select
  "c"."id",
  "c"."phone_number"
from
  "customer_person" as "c"
where
  "c"."tenant_id" = ?
  and "c"."id" in (?)
  and exists (
    select
      "r"."id"
    from
      "call_record" as "r"
    where
      "r"."tenant_id" = ?
      and "r"."customer_person_id" = "c"."id"
      and "r"."is_training" = ?
  )
order by
  "c"."id";

-- calledCustomers.findCalledCustomers: every filter, latest record only
select
  "c"."id",
  "c"."phone_number"
from
  "customer_person" as "c"
where
  "c"."tenant_id" = ?
  and "c"."id" in (?)
  and "c"."follow_status" = ?
  and exists (
    select
      "r"."id"
    from
      "call_record" as "r"
    where
      "r"."tenant_id" = ?
      and "r"."customer_person_id" = "c"."id"
      and "r"."is_training" = ?
      and "r"."id" = (
        select
          m.id
        from
          call_record m
        where
          m.tenant_id = ?
          and m.customer_person_id = c.id
          and m.is_training = 0
        order by
          m.start_time desc,
          m.id desc
        limit
          1
      )
      and "r"."customer_group_id" = ?
      and "r"."dialog_flow_id" = ?
      and "r"."result_status" in (?, ?)
      and "r"."intent_level" in (?, ?)
      and "r"."start_time" >= ?
      and "r"."start_time" < ?
      and (
        "r"."called_phone_number" like ? escape '\'
        or "c"."name" like ? escape '\'
        or r.id = ?
      )
  )
order by
  "c"."id";
