-- The SQL src/repositories/customers.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- customers.findCustomerWithGroup: by id
select
  "c".*,
  "g"."name" as "customer_group_name"
from
  "customer_person" as "c"
  left join "customer_group" as "g" on "g"."id" = "c"."customer_group_id"
  and "g"."tenant_id" = "c"."tenant_id"
where
  "c"."tenant_id" = $1
  and "c"."id" = $2;

-- customers.insertCustomer: one customer
insert into
  "customer_person" (
    "tenant_id",
    "customer_group_id",
    "name",
    "phone_number",
    "wechat_number",
    "source",
    "last_emotion",
    "customer_level",
    "gender",
    "follow_user_id",
    "follow_status",
    "properties",
    "attributes",
    "last_follow_time",
    "assign_time",
    "created_at"
  )
values
  ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
returning
  "id";

-- customers.insertCustomers: two customers
insert into
  "customer_person" (
    "tenant_id",
    "customer_group_id",
    "name",
    "phone_number",
    "wechat_number",
    "source",
    "last_emotion",
    "customer_level",
    "gender",
    "follow_user_id",
    "follow_status",
    "properties",
    "attributes",
    "last_follow_time",
    "assign_time",
    "created_at"
  )
values
  ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16),
  ($17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32)
returning
  "id";

-- customers.updateCustomersLastCall: two customers (locked in id order on PostgreSQL)
select
  "id"
from
  "customer_person"
where
  "tenant_id" = $1
  and "id" in ($2, $3)
order by
  "id"
for no key update;

update customer_person as c
set
  last_start_time = v.start_time,
  last_chat_duration = v.chat_duration,
  last_intent_level = v.intent_level,
  last_dial_status = v.dial_status
from
  jsonb_to_recordset($1::jsonb) as v (
    id bigint,
    start_time bigint,
    chat_duration integer,
    intent_level text,
    dial_status text
  )
where
  c.tenant_id = $2
  and c.id = v.id
  and (
    c.last_start_time is null
    or c.last_start_time <= v.start_time
  );

-- customers.findCustomersByPhone: two numbers
select
  "id",
  "phone_number"
from
  "customer_person"
where
  "tenant_id" = $1
  and "phone_number" in ($2, $3)
order by
  "id";

-- customers.findFollowStatusesForShare: two customers (share-locked on PostgreSQL)
select
  "id",
  "follow_status"
from
  "customer_person"
where
  "tenant_id" = $1
  and "id" in ($2, $3)
order by
  "id"
for share;
