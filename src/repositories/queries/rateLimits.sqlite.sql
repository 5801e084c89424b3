-- The SQL src/repositories/rateLimits.ts runs on SQLite, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- rateLimits.takeRateLimitSlot: 50 per second, bursts of 100: one upsert that moves the key’s time only within the tolerance
insert into
  "rate_limit" ("app_key", "tat")
values
  (?, ?)
on conflict ("app_key") do update
set
  "tat" = (
    case
      when rate_limit.tat > cast(? as bigint) then rate_limit.tat
      else cast(? as bigint)
    end
  ) + cast(? as bigint)
where
  (
    case
      when rate_limit.tat > cast(? as bigint) then rate_limit.tat
      else cast(? as bigint)
    end
  ) + cast(? as bigint) <= cast(? as bigint)
returning
  "tat";

-- rateLimits.takeRateLimitSlotAndNonce: the slot, then the nonce only if the slot was taken (one statement on PostgreSQL)
insert into
  "rate_limit" ("app_key", "tat")
values
  (?, ?)
on conflict ("app_key") do update
set
  "tat" = (
    case
      when rate_limit.tat > cast(? as bigint) then rate_limit.tat
      else cast(? as bigint)
    end
  ) + cast(? as bigint)
where
  (
    case
      when rate_limit.tat > cast(? as bigint) then rate_limit.tat
      else cast(? as bigint)
    end
  ) + cast(? as bigint) <= cast(? as bigint)
returning
  "tat";

insert into
  "signature_nonce" ("app_key", "nonce", "expires_at")
values
  (?, ?, ?)
on conflict ("app_key", "nonce") do update
set
  "expires_at" = ?
where
  "signature_nonce"."expires_at" < ?
returning
  "nonce";

-- rateLimits.takeRateLimitSlotAndNonce: an engine key’s request: nothing taken unless the key is still enabled, read in the same statement on PostgreSQL
select
  case
    when enabled = 1 then 'enabled'
    else 'disabled'
  end as "state"
from
  "engine_key"
where
  "app_key" = ?;

-- rateLimits.findRateLimitTat: a key
select
  "tat"
from
  "rate_limit"
where
  "app_key" = ?;
