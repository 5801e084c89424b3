-- The SQL src/repositories/callbacks.ts runs on SQLite, for each case of src/repositories/queries/cases.ts.
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
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- callbacks.insertCallbackBatch: one recording transaction’s events
insert into
  "callback_batch" (
    "tenant_id",
    "event_count",
    "events",
    "created_at"
  )
values
  (?, ?, ?, ?);

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
  ?;

-- callbacks.takeCallbackBatches: the delivery log (one tenant’s, waiting for locked batches)
select
  "id",
  "tenant_id",
  "events",
  "created_at"
from
  "callback_batch"
where
  "tenant_id" = ?
order by
  "id"
limit
  ?;

-- callbacks.deleteCallbackBatches: two batches
delete from "callback_batch"
where
  "id" in (?, ?);

-- callbacks.listCustomerProperties: a customer
select
  "id",
  "properties"
from
  "customer_person"
where
  "tenant_id" = ?
  and "id" in (?);

-- callbacks.findDueCallbackEventsOfTenant: a tenant, ten at most
select
  "id",
  "tenant_id"
from
  "callback_event"
where
  "tenant_id" = ?
  and "state" = 'PENDING'
  and "next_attempt_at" <= ?
  and (
    "claimed_until" is null
    or "claimed_until" <= ?
  )
order by
  "next_attempt_at",
  "id"
limit
  ?;

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
  "id" = ?;

-- callbacks.updateTenantCallbackUrl: set
update "tenant"
set
  "callback_url" = ?
where
  "id" = ?;

-- callbacks.updateCallbackSecret: the first
update "tenant"
set
  "callback_secret" = ?
where
  "id" = ?
  and "callback_secret" is null;

-- callbacks.updateCallbackSecret: a rotation
update "tenant"
set
  "callback_secret" = ?
where
  "id" = ?
  and "callback_secret" = ?;

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
  "id";

-- callbacks.findDueCallbackEvents: due events
select
  "id",
  "tenant_id"
from
  "callback_event"
where
  "state" = 'PENDING'
  and "next_attempt_at" <= ?
  and (
    "claimed_until" is null
    or "claimed_until" <= ?
  )
order by
  "next_attempt_at",
  "id"
limit
  ?;

-- callbacks.findDueCallbackEvents: skipping tenants at their cap
select
  "id",
  "tenant_id"
from
  "callback_event"
where
  "state" = 'PENDING'
  and "next_attempt_at" <= ?
  and (
    "claimed_until" is null
    or "claimed_until" <= ?
  )
  and "tenant_id" not in (?)
order by
  "next_attempt_at",
  "id"
limit
  ?;

-- callbacks.claimCallbackEvents: two events
update "callback_event"
set
  "claimed_by" = ?,
  "claimed_until" = ?
where
  "id" in (?, ?);

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
  "e"."id" in (?, ?)
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
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

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
  "tenant_id" = ?
order by
  "created_at" desc,
  "id" desc
limit
  ?
offset
  ?;

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
  (?, ?, ?, ?, ?, ?, ?);

-- callbacks.markCallbacksDelivered: two events
update "callback_event"
set
  "state" = ?,
  "attempts" = "attempts" + ?,
  "cycle_attempts" = "cycle_attempts" + ?,
  "last_attempt_at" = ?,
  "last_status" = ?,
  "last_error" = ?,
  "finished_at" = ?,
  "claimed_by" = ?,
  "claimed_until" = ?
where
  "id" in (?, ?)
  and "claimed_by" = ?;

-- callbacks.markCallbackFailedAttempt: a retry
update "callback_event"
set
  "state" = ?,
  "attempts" = "attempts" + ?,
  "cycle_attempts" = "cycle_attempts" + ?,
  "next_attempt_at" = ?,
  "last_attempt_at" = ?,
  "last_status" = ?,
  "last_error" = ?,
  "finished_at" = ?,
  "claimed_by" = ?,
  "claimed_until" = ?
where
  "id" = ?
  and "claimed_by" = ?;

-- callbacks.releaseCallbackClaims: two events
update "callback_event"
set
  "claimed_by" = ?,
  "claimed_until" = ?
where
  "id" in (?, ?)
  and "claimed_by" = ?;

-- callbacks.countCallbackEvents: no filter
select
  count(*) as "n"
from
  "callback_event"
where
  "tenant_id" = ?;

-- callbacks.countCallbackEvents: every filter
select
  count(*) as "n"
from
  "callback_event"
where
  "tenant_id" = ?
  and "state" = ?
  and "attempts" > ?
  and "data_type" = ?
  and "job_id" = ?
  and "event_id" = ?
  and "created_at" >= ?
  and "created_at" < ?;

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
  "tenant_id" = ?
order by
  "created_at" desc,
  "id" desc
limit
  ?
offset
  ?;

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
  "tenant_id" = ?
  and "state" = ?
  and "job_id" = ?
order by
  "created_at" desc,
  "id" desc
limit
  ?
offset
  ?;

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
  "tenant_id" = ?
  and "callback_event_id" in (?, ?)
order by
  "callback_event_id",
  "attempt";

-- callbacks.redeliverCallbackEvents: one event
update "callback_event"
set
  "state" = ?,
  "next_attempt_at" = ?,
  "cycle_attempts" = ?,
  "cycle_started_at" = ?,
  "finished_at" = ?
where
  "tenant_id" = ?
  and "state" in (?, ?, ?)
  and "event_id" = ?;

-- callbacks.redeliverCallbackEvents: a time range
update "callback_event"
set
  "state" = ?,
  "next_attempt_at" = ?,
  "cycle_attempts" = ?,
  "cycle_started_at" = ?,
  "finished_at" = ?
where
  "tenant_id" = ?
  and "state" in (?, ?)
  and "created_at" >= ?
  and "created_at" < ?;

-- callbacks.countPendingCallbacks: the queue
select
  count(*) as "pending",
  sum(
    case
      when "next_attempt_at" <= ? then 1
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
  "state" = ?
  and "finished_at" < ?
order by
  "finished_at"
limit
  ?;
