-- The SQL src/repositories/rateLimits.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- rateLimits.takeRateLimitSlot: 50 per second, bursts of 100: one upsert that moves the key’s time only within the tolerance
insert into
  "rate_limit" ("app_key", "tat")
values
  ($1, $2)
on conflict ("app_key") do update
set
  "tat" = (
    case
      when rate_limit.tat > cast($3 as bigint) then rate_limit.tat
      else cast($4 as bigint)
    end
  ) + cast($5 as bigint)
where
  (
    case
      when rate_limit.tat > cast($6 as bigint) then rate_limit.tat
      else cast($7 as bigint)
    end
  ) + cast($8 as bigint) <= cast($9 as bigint)
returning
  "tat";

-- rateLimits.takeRateLimitSlotAndNonce: the slot, then the nonce only if the slot was taken (one statement on PostgreSQL)
with
  "slot" as (
    insert into
      "rate_limit" ("app_key", "tat")
    values
      ($1, $2)
    on conflict ("app_key") do update
    set
      "tat" = (
        case
          when rate_limit.tat > cast($3 as bigint) then rate_limit.tat
          else cast($4 as bigint)
        end
      ) + cast($5 as bigint)
    where
      (
        case
          when rate_limit.tat > cast($6 as bigint) then rate_limit.tat
          else cast($7 as bigint)
        end
      ) + cast($8 as bigint) <= cast($9 as bigint)
    returning
      "tat"
  ),
  "fresh" as (
    insert into
      "signature_nonce" ("app_key", "nonce", "expires_at")
    select
      cast($10 as text) as "app_key",
      cast($11 as text) as "nonce",
      cast($12 as bigint) as "expires_at"
    from
      "slot"
    on conflict ("app_key", "nonce") do update
    set
      "expires_at" = "excluded"."expires_at"
    where
      "signature_nonce"."expires_at" < cast($13 as bigint)
    returning
      "nonce"
  )
select
  (
    select
      count(*) as "n"
    from
      "slot"
  ) as "slot",
  (
    select
      count(*) as "n"
    from
      "fresh"
  ) as "nonce";

-- rateLimits.takeRateLimitSlotAndNonce: an engine key’s request: nothing taken unless the key is still enabled, read in the same statement on PostgreSQL
with
  "key" as (
    select
      "enabled"
    from
      "engine_key"
    where
      "app_key" = $1
  ),
  "slot" as (
    insert into
      "rate_limit" ("app_key", "tat")
    select
      cast($2 as text) as "app_key",
      cast($3 as bigint) as "tat"
    from
      "key"
    where
      "key"."enabled" = 1
    on conflict ("app_key") do update
    set
      "tat" = (
        case
          when rate_limit.tat > cast($4 as bigint) then rate_limit.tat
          else cast($5 as bigint)
        end
      ) + cast($6 as bigint)
    where
      (
        case
          when rate_limit.tat > cast($7 as bigint) then rate_limit.tat
          else cast($8 as bigint)
        end
      ) + cast($9 as bigint) <= cast($10 as bigint)
    returning
      "tat"
  ),
  "fresh" as (
    insert into
      "signature_nonce" ("app_key", "nonce", "expires_at")
    select
      cast($11 as text) as "app_key",
      cast($12 as text) as "nonce",
      cast($13 as bigint) as "expires_at"
    from
      "slot"
    on conflict ("app_key", "nonce") do update
    set
      "expires_at" = "excluded"."expires_at"
    where
      "signature_nonce"."expires_at" < cast($14 as bigint)
    returning
      "nonce"
  )
select
  (
    select
      case
        when "key"."enabled" = 1 then 'enabled'
        else 'disabled'
      end as "state"
    from
      "key"
  ) as "engine_key",
  (
    select
      count(*) as "n"
    from
      "slot"
  ) as "slot",
  (
    select
      count(*) as "n"
    from
      "fresh"
  ) as "nonce";

-- rateLimits.findRateLimitTat: a key
select
  "tat"
from
  "rate_limit"
where
  "app_key" = $1;
