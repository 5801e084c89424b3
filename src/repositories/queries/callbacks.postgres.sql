-- The SQL src/repositories/callbacks.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- callbacks.insertCallbackEvents: one event
insert into
  "callback_event" (
    "tenant_id",
    "event_id",
    "data_type",
    "job_id",
    "call_record_id",
    "payload",
    "state",
    "cycle_started_at",
    "next_attempt_at",
    "created_at"
  )
values
  ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- callbacks.insertCallbackBatch: one recording transaction’s events
insert into
  "callback_batch" (
    "tenant_id",
    "event_count",
    "events",
    "created_at"
  )
values
  ($1, $2, $3, $4);

-- callbacks.takeCallbackBatches: a dispatcher (skipping locked batches)
select
  "id",
  "tenant_id",
  "events",
  "created_at"
from
  "callback_batch"
order by
  "id"
limit
  $1
for update
  skip locked;

-- callbacks.takeCallbackBatches: the delivery log (one tenant’s, waiting for locked batches)
select
  "id",
  "tenant_id",
  "events",
  "created_at"
from
  "callback_batch"
where
  "tenant_id" = $1
order by
  "id"
limit
  $2
for update;

-- callbacks.deleteCallbackBatches: two batches
delete from "callback_batch"
where
  "id" in ($1, $2);

-- callbacks.listCustomerProperties: a customer
select
  "id",
  "properties"
from
  "customer_person"
where
  "tenant_id" = $1
  and "id" in ($2);

-- callbacks.findDueCallbackEventsOfTenant: a tenant, ten at most
select
  "id",
  "tenant_id"
from
  "callback_event"
where
  "tenant_id" = $1
  and "state" = 'PENDING'
  and "next_attempt_at" <= $2
  and (
    "claimed_until" is null
    or "claimed_until" <= $3
  )
order by
  "next_attempt_at",
  "id"
limit
  $4
for update
  skip locked;

-- callbacks.findTenantCallback: a tenant
select
  "id",
  "tenant_sign",
  "time_zone",
  "callback_url",
  "callback_secret"
from
  "tenant"
where
  "id" = $1;

-- callbacks.updateTenantCallbackUrl: set
update "tenant"
set
  "callback_url" = $1
where
  "id" = $2;

-- callbacks.updateCallbackSecret: the first
update "tenant"
set
  "callback_secret" = $1
where
  "id" = $2
  and "callback_secret" is null;

-- callbacks.updateCallbackSecret: a rotation
update "tenant"
set
  "callback_secret" = $1
where
  "id" = $2
  and "callback_secret" = $3;

-- callbacks.listCallbackSecrets: to read
select
  "id",
  "callback_secret"
from
  "tenant"
where
  "callback_secret" is not null
order by
  "id";

-- callbacks.listCallbackSecrets: to re-encrypt (locked)
select
  "id",
  "callback_secret"
from
  "tenant"
where
  "callback_secret" is not null
order by
  "id"
for update;

-- callbacks.findDueCallbackEvents: due events
select
  "id",
  "tenant_id"
from
  "callback_event"
where
  "state" = 'PENDING'
  and "next_attempt_at" <= $1
  and (
    "claimed_until" is null
    or "claimed_until" <= $2
  )
order by
  "next_attempt_at",
  "id"
limit
  $3
for update
  skip locked;

-- callbacks.findDueCallbackEvents: skipping tenants at their cap
select
  "id",
  "tenant_id"
from
  "callback_event"
where
  "state" = 'PENDING'
  and "next_attempt_at" <= $1
  and (
    "claimed_until" is null
    or "claimed_until" <= $2
  )
  and "tenant_id" not in ($3)
order by
  "next_attempt_at",
  "id"
limit
  $4
for update
  skip locked;

-- callbacks.claimCallbackEvents: two events
update "callback_event"
set
  "claimed_by" = $1,
  "claimed_until" = $2
where
  "id" in ($3, $4);

select
  "e"."id",
  "e"."tenant_id",
  "e"."event_id",
  "e"."data_type",
  "e"."payload",
  "e"."attempts",
  "e"."cycle_attempts",
  "e"."cycle_started_at",
  "t"."callback_url",
  "t"."callback_secret"
from
  "callback_event" as "e"
  inner join "tenant" as "t" on "t"."id" = "e"."tenant_id"
where
  "e"."id" in ($1, $2)
order by
  "e"."id";

-- callbacks.insertCallbackAttempts: one attempt (of an event inserted first)
insert into
  "callback_event" (
    "tenant_id",
    "event_id",
    "data_type",
    "job_id",
    "call_record_id",
    "payload",
    "state",
    "cycle_started_at",
    "next_attempt_at",
    "created_at"
  )
values
  ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

select
  "id",
  "event_id",
  "data_type",
  "job_id",
  "call_record_id",
  "payload",
  "state",
  "attempts",
  "next_attempt_at",
  "last_attempt_at",
  "last_status",
  "last_error",
  "created_at",
  "finished_at"
from
  "callback_event"
where
  "tenant_id" = $1
order by
  "created_at" desc,
  "id" desc
limit
  $2
offset
  $3;

insert into
  "callback_attempt" (
    "callback_event_id",
    "tenant_id",
    "attempt",
    "started_at",
    "duration_ms",
    "http_status",
    "error"
  )
values
  ($1, $2, $3, $4, $5, $6, $7);

-- callbacks.markCallbacksDelivered: two events
update "callback_event"
set
  "state" = $1,
  "attempts" = "attempts" + $2,
  "cycle_attempts" = "cycle_attempts" + $3,
  "last_attempt_at" = $4,
  "last_status" = $5,
  "last_error" = $6,
  "finished_at" = $7,
  "claimed_by" = $8,
  "claimed_until" = $9
where
  "id" in ($10, $11)
  and "claimed_by" = $12;

-- callbacks.markCallbackFailedAttempt: a retry
update "callback_event"
set
  "state" = $1,
  "attempts" = "attempts" + $2,
  "cycle_attempts" = "cycle_attempts" + $3,
  "next_attempt_at" = $4,
  "last_attempt_at" = $5,
  "last_status" = $6,
  "last_error" = $7,
  "finished_at" = $8,
  "claimed_by" = $9,
  "claimed_until" = $10
where
  "id" = $11
  and "claimed_by" = $12;

-- callbacks.releaseCallbackClaims: two events
update "callback_event"
set
  "claimed_by" = $1,
  "claimed_until" = $2
where
  "id" in ($3, $4)
  and "claimed_by" = $5;

-- callbacks.countCallbackEvents: no filter
select
  count(*) as "n"
from
  "callback_event"
where
  "tenant_id" = $1;

-- callbacks.countCallbackEvents: every filter
select
  count(*) as "n"
from
  "callback_event"
where
  "tenant_id" = $1
  and "state" = $2
  and "attempts" > $3
  and "data_type" = $4
  and "job_id" = $5
  and "event_id" = $6
  and "created_at" >= $7
  and "created_at" < $8;

-- callbacks.listCallbackEvents: no filter, first page
select
  "id",
  "event_id",
  "data_type",
  "job_id",
  "call_record_id",
  "payload",
  "state",
  "attempts",
  "next_attempt_at",
  "last_attempt_at",
  "last_status",
  "last_error",
  "created_at",
  "finished_at"
from
  "callback_event"
where
  "tenant_id" = $1
order by
  "created_at" desc,
  "id" desc
limit
  $2
offset
  $3;

-- callbacks.listCallbackEvents: failed, of a job
select
  "id",
  "event_id",
  "data_type",
  "job_id",
  "call_record_id",
  "payload",
  "state",
  "attempts",
  "next_attempt_at",
  "last_attempt_at",
  "last_status",
  "last_error",
  "created_at",
  "finished_at"
from
  "callback_event"
where
  "tenant_id" = $1
  and "state" = $2
  and "job_id" = $3
order by
  "created_at" desc,
  "id" desc
limit
  $4
offset
  $5;

-- callbacks.listCallbackAttempts: two events
select
  "callback_event_id",
  "attempt",
  "started_at",
  "duration_ms",
  "http_status",
  "error"
from
  "callback_attempt"
where
  "tenant_id" = $1
  and "callback_event_id" in ($2, $3)
order by
  "callback_event_id",
  "attempt";

-- callbacks.redeliverCallbackEvents: one event
update "callback_event"
set
  "state" = $1,
  "next_attempt_at" = $2,
  "cycle_attempts" = $3,
  "cycle_started_at" = $4,
  "finished_at" = $5
where
  "tenant_id" = $6
  and "state" in ($7, $8, $9)
  and "event_id" = $10;

-- callbacks.redeliverCallbackEvents: a time range
update "callback_event"
set
  "state" = $1,
  "next_attempt_at" = $2,
  "cycle_attempts" = $3,
  "cycle_started_at" = $4,
  "finished_at" = $5
where
  "tenant_id" = $6
  and "state" in ($7, $8)
  and "created_at" >= $9
  and "created_at" < $10;

-- callbacks.countPendingCallbacks: the queue
select
  count(*) as "pending",
  sum(
    case
      when "next_attempt_at" <= $1 then 1
      else 0
    end
  ) as "due"
from
  "callback_event"
where
  "state" = 'PENDING';

select
  sum("event_count") as "n"
from
  "callback_batch";

-- callbacks.deleteFinishedCallbackEvents: delivered a week ago
select
  "id"
from
  "callback_event"
where
  "state" = $1
  and "finished_at" < $2
order by
  "finished_at"
limit
  $3;
