-- The SQL src/repositories/calledCustomers.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- calledCustomers.findCalledCustomers: no filter
select
  "c"."id",
  "c"."phone_number"
from
  "customer_person" as "c"
where
  "c"."tenant_id" = $1
  and "c"."id" in ($2)
  and exists (
    select
      "r"."id"
    from
      "call_record" as "r"
    where
      "r"."tenant_id" = $3
      and "r"."customer_person_id" = "c"."id"
      and "r"."is_training" = $4
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
  "c"."tenant_id" = $1
  and "c"."id" in ($2)
  and "c"."follow_status" = $3
  and exists (
    select
      "r"."id"
    from
      "call_record" as "r"
    where
      "r"."tenant_id" = $4
      and "r"."customer_person_id" = "c"."id"
      and "r"."is_training" = $5
      and "r"."id" = (
        select
          m.id
        from
          call_record m
        where
          m.tenant_id = $6
          and m.customer_person_id = c.id
          and m.is_training = 0
        order by
          m.start_time desc,
          m.id desc
        limit
          1
      )
      and "r"."customer_group_id" = $7
      and "r"."dialog_flow_id" = $8
      and "r"."result_status" in ($9, $10)
      and "r"."intent_level" in ($11, $12)
      and "r"."start_time" >= $13
      and "r"."start_time" < $14
      and (
        "r"."called_phone_number" like $15 escape '\'
        or "c"."name" like $16 escape '\'
        or r.id = $17
      )
  )
order by
  "c"."id";
