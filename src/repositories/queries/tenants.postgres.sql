-- The SQL src/repositories/tenants.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- tenants.insertTenant: one tenant
insert into
  "tenant" ("name", "tenant_sign", "time_zone", "created_at")
values
  ($1, $2, $3, $4)
returning
  "id";

-- tenants.findTenantBySign: by sign
select
  *
from
  "tenant"
where
  "tenant_sign" = $1;

-- tenants.findTenant: by id
select
  *
from
  "tenant"
where
  "id" = $1;

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
  ($1, $2, $3, $4, $5, $6);

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
  "api_key"."tenant_id" = $1
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
  "tenant_id" = $1
  and "enabled" = $2
order by
  "id"
limit
  $3;

-- tenants.updateApiKeyEnabled: disable a key
update "api_key"
set
  "enabled" = $1,
  "disabled_at" = $2
where
  "app_key" = $3;

-- tenants.findKeyCredentials: by appKey
select
  "api_key"."app_secret",
  "api_key"."enabled",
  "api_key"."min_signature_version",
  "tenant"."id" as "tenant_id",
  "tenant"."tenant_sign",
  "tenant"."time_zone",
  (
    select
      coalesce(sum(v.version), 0)::text
    from
      tenant_data_version v
    where
      v.tenant_id = tenant.id
  ) as "data_version"
from
  "api_key"
  inner join "tenant" on "tenant"."id" = "api_key"."tenant_id"
where
  "api_key"."app_key" = $1;

-- tenants.updateApiKeySignatureVersion: require signature v2
update "api_key"
set
  "min_signature_version" = $1
where
  "app_key" = $2;

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
  "id"
for update;

-- tenants.updateAppSecret: replace a secret if unchanged
update "api_key"
set
  "app_secret" = $1
where
  "id" = $2
  and "app_secret" = $3;

-- tenants.insertSignatureNonce: a nonce, taking over an expired one
insert into
  "signature_nonce" ("app_key", "nonce", "expires_at")
values
  ($1, $2, $3)
on conflict ("app_key", "nonce") do update
set
  "expires_at" = $4
where
  "signature_nonce"."expires_at" < $5
returning
  "nonce";

-- tenants.deleteExpiredSignatureNonces: nonces past expiry
delete from "signature_nonce"
where
  "expires_at" < $1;

-- tenants.updateTenantTimeZone: a new zone
update "tenant"
set
  "time_zone" = $1
where
  "id" = $2;

-- tenants.updateTenantIsvInfo: the sign only
update "tenant"
set
  "tenant_sign" = $1
where
  "id" = $2;

-- tenants.updateTenantIsvInfo: the sign and both callback URLs
update "tenant"
set
  "tenant_sign" = $1,
  "callback_url" = $2,
  "sms_callback_url" = $3
where
  "id" = $4;
