-- The SQL src/repositories/tenants.ts runs on SQLite, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- tenants.insertTenant: one tenant
insert into
  "tenant" ("name", "tenant_sign", "time_zone", "created_at")
values
  (?, ?, ?, ?)
returning
  "id";

-- tenants.findTenantBySign: by sign
select
  *
from
  "tenant"
where
  "tenant_sign" = ?;

-- tenants.findTenant: by id
select
  *
from
  "tenant"
where
  "id" = ?;

-- tenants.countTenants: all tenants
select
  count(*) as "n"
from
  "tenant";

-- tenants.insertApiKey: one key
insert into
  "api_key" (
    "tenant_id",
    "app_key",
    "app_secret",
    "enabled",
    "created_at",
    "min_signature_version"
  )
values
  (?, ?, ?, ?, ?, ?);

-- tenants.listApiKeys: every tenant’s keys
select
  "api_key"."app_key",
  "api_key"."enabled",
  "api_key"."created_at",
  "api_key"."disabled_at",
  "api_key"."min_signature_version",
  "tenant"."id" as "tenant_id",
  "tenant"."tenant_sign",
  "tenant"."name" as "tenant_name"
from
  "api_key"
  inner join "tenant" on "tenant"."id" = "api_key"."tenant_id"
order by
  "api_key"."tenant_id",
  "api_key"."id";

-- tenants.listApiKeys: one tenant’s keys
select
  "api_key"."app_key",
  "api_key"."enabled",
  "api_key"."created_at",
  "api_key"."disabled_at",
  "api_key"."min_signature_version",
  "tenant"."id" as "tenant_id",
  "tenant"."tenant_sign",
  "tenant"."name" as "tenant_name"
from
  "api_key"
  inner join "tenant" on "tenant"."id" = "api_key"."tenant_id"
where
  "api_key"."tenant_id" = ?
order by
  "api_key"."tenant_id",
  "api_key"."id";

-- tenants.findEnabledApiKey: a tenant’s first enabled key
select
  "app_key",
  "app_secret"
from
  "api_key"
where
  "tenant_id" = ?
  and "enabled" = ?
order by
  "id"
limit
  ?;

-- tenants.updateApiKeyEnabled: disable a key
update "api_key"
set
  "enabled" = ?,
  "disabled_at" = ?
where
  "app_key" = ?;

-- tenants.findKeyCredentials: by appKey
select
  "api_key"."app_secret",
  "api_key"."enabled",
  "api_key"."min_signature_version",
  "tenant"."id" as "tenant_id",
  "tenant"."tenant_sign",
  "tenant"."time_zone",
  null as "data_version"
from
  "api_key"
  inner join "tenant" on "tenant"."id" = "api_key"."tenant_id"
where
  "api_key"."app_key" = cast(? as text);

-- tenants.updateApiKeySignatureVersion: require signature v2
update "api_key"
set
  "min_signature_version" = ?
where
  "app_key" = ?;

-- tenants.listAppSecrets: every stored secret
select
  "id",
  "app_key",
  "app_secret"
from
  "api_key"
order by
  "id";

-- tenants.listAppSecrets: every stored secret, rows locked (PostgreSQL)
select
  "id",
  "app_key",
  "app_secret"
from
  "api_key"
order by
  "id";

-- tenants.updateAppSecret: replace a secret if unchanged
update "api_key"
set
  "app_secret" = ?
where
  "id" = ?
  and "app_secret" = ?;

-- tenants.insertSignatureNonce: a nonce, taking over an expired one
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

-- tenants.deleteExpiredSignatureNonces: nonces past expiry
delete from "signature_nonce"
where
  "expires_at" < ?;

-- tenants.updateTenantTimeZone: a new zone
update "tenant"
set
  "time_zone" = ?
where
  "id" = ?;

-- tenants.updateTenantIsvInfo: the sign only
update "tenant"
set
  "tenant_sign" = ?
where
  "id" = ?;

-- tenants.updateTenantIsvInfo: the sign and both callback URLs
update "tenant"
set
  "tenant_sign" = ?,
  "callback_url" = ?,
  "sms_callback_url" = ?
where
  "id" = ?;
