-- The SQL src/repositories/customers.ts runs on SQLite, for each case of src/repositories/queries/cases.ts.
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
  "c"."tenant_id" = cast(? as integer)
  and "c"."id" = ?;

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
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
returning
  "id";

-- customers.updateCustomersLastCall: two customers (locked in id order on PostgreSQL)
update customer_person
set
  last_start_time = v.start_time,
  last_chat_duration = v.chat_duration,
  last_intent_level = v.intent_level,
  last_dial_status = v.dial_status
from
  (
    select
      value ->> 'id' as id,
      value ->> 'start_time' as start_time,
      value ->> 'chat_duration' as chat_duration,
      value ->> 'intent_level' as intent_level,
      value ->> 'dial_status' as dial_status
    from
      json_each(?)
  ) as v
where
  + customer_person.tenant_id = ?
  and customer_person.id = v.id
  and (
    customer_person.last_start_time is null
    or customer_person.last_start_time <= v.start_time
  );

-- customers.findCustomersByPhone: two numbers
select
  "id",
  "phone_number"
from
  "customer_person"
where
  "tenant_id" = ?
  and "phone_number" in (?, ?)
order by
  "id";

-- customers.findFollowStatusesForShare: two customers (share-locked on PostgreSQL)
select
  "id",
  "follow_status"
from
  "customer_person"
where
  + "tenant_id" = ?
  and "id" in (?, ?)
order by
  "id";
