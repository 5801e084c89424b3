-- The SQL src/repositories/engineKeys.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- engineKeys.insertEngineKey: a key of every tenant
insert into
  "engine_key" (
    "app_key",
    "app_secret",
    "name",
    "tenant_id",
    "enabled",
    "created_at"
  )
values
  ($1, $2, $3, $4, $5, $6)
returning
  "id";

-- engineKeys.findEngineKey: by appKey
select
  "id",
  "app_key",
  "app_secret",
  "name",
  "tenant_id",
  "enabled"
from
  "engine_key"
where
  "app_key" = $1;

-- engineKeys.findEngineKeyState: whether a known key is still enabled
select
  case
    when enabled = 1 then 'enabled'
    else 'disabled'
  end as "state"
from
  "engine_key"
where
  "app_key" = $1;

-- engineKeys.listEngineKeys: every key, with its tenant
select
  "engine_key"."id",
  "engine_key"."app_key",
  "engine_key"."name",
  "engine_key"."tenant_id",
  "tenant"."tenant_sign",
  "tenant"."name" as "tenant_name",
  "engine_key"."enabled",
  "engine_key"."created_at",
  "engine_key"."last_seen_at",
  "engine_key"."disabled_at"
from
  "engine_key"
  left join "tenant" on "tenant"."id" = "engine_key"."tenant_id"
order by
  "engine_key"."id";

-- engineKeys.updateEngineKeyEnabled: disable a key
update "engine_key"
set
  "enabled" = $1,
  "disabled_at" = $2
where
  "app_key" = $3
returning
  "id",
  "name",
  "tenant_id";

-- engineKeys.updateEngineKeyEnabled: enable a key
update "engine_key"
set
  "enabled" = $1,
  "disabled_at" = $2
where
  "app_key" = $3
returning
  "id",
  "name",
  "tenant_id";

-- engineKeys.deleteEngineKey: by appKey
delete from "engine_key"
where
  "app_key" = $1
returning
  "id",
  "name",
  "tenant_id";

-- engineKeys.updateEngineKeyLastSeen: seen now
update "engine_key"
set
  "last_seen_at" = $1
where
  "id" = $2;

-- engineKeys.listEngineKeySecrets: every stored secret
select
  "id",
  "app_key",
  "app_secret"
from
  "engine_key"
order by
  "id";

-- engineKeys.listEngineKeySecrets: every stored secret, rows locked (PostgreSQL)
select
  "id",
  "app_key",
  "app_secret"
from
  "engine_key"
order by
  "id"
for update;

-- engineKeys.updateEngineKeySecret: replace a secret if unchanged
update "engine_key"
set
  "app_secret" = $1
where
  "id" = $2
  and "app_secret" = $3;

-- engineKeys.insertEngineKeyAuditEntries: a key of one tenant: its log
insert into
  "audit_log" (
    "app_key",
    "user_name",
    "method",
    "action",
    "robot_call_job_id",
    "code",
    "result_msg",
    "summary",
    "client_ip",
    "request_id",
    "created_at",
    "tenant_id"
  )
values
  ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);

-- engineKeys.insertEngineKeyAuditEntries: a key of every tenant: every tenant’s log
select
  "id"
from
  "tenant"
order by
  "id";

insert into
  "audit_log" (
    "app_key",
    "user_name",
    "method",
    "action",
    "robot_call_job_id",
    "code",
    "result_msg",
    "summary",
    "client_ip",
    "request_id",
    "created_at",
    "tenant_id"
  )
values
  ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);
