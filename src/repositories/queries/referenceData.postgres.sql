-- The SQL src/repositories/referenceData.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- referenceData.insertReference: an organization
insert into
  "organization" ("tenant_id", "created_at", "name")
values
  ($1, $2, $3)
returning
  "id";

-- referenceData.insertReference: a user
insert into
  "app_user" (
    "tenant_id",
    "created_at",
    "name",
    "organization_id"
  )
values
  ($1, $2, $3, $4)
returning
  "id";

-- referenceData.insertReference: an SMS template
insert into
  "sms_template" ("tenant_id", "created_at", "name", "content")
values
  ($1, $2, $3, $4)
returning
  "id";

-- referenceData.insertReference: a caller line
insert into
  "phone_line" (
    "tenant_id",
    "created_at",
    "phone_number",
    "phone_type",
    "name"
  )
values
  ($1, $2, $3, $4, $5)
returning
  "id";

-- referenceData.insertReference: a customer group
insert into
  "customer_group" ("tenant_id", "created_at", "name")
values
  ($1, $2, $3)
returning
  "id";

-- referenceData.insertDialogFlow: one flow
insert into
  "dialog_flow" (
    "tenant_id",
    "name",
    "definition",
    "created_at",
    "intent_level_tag_id"
  )
values
  (
    $1,
    $2,
    $3,
    $4,
    (
      select
        min("id") as "id"
      from
        "intent_level_tag"
      where
        "tenant_id" = $5
    )
  )
returning
  "id";

insert into
  "dialog_flow_version" (
    "tenant_id",
    "dialog_flow_id",
    "version",
    "definition",
    "created_at"
  )
values
  ($1, $2, $3, $4, $5);

-- referenceData.insertDialogFlow: one flow with its industry, status and tag group
insert into
  "dialog_flow" (
    "tenant_id",
    "name",
    "definition",
    "created_at",
    "industry",
    "sub_industry",
    "status",
    "intent_level_tag_id"
  )
values
  ($1, $2, $3, $4, $5, $6, $7, $8)
returning
  "id";

insert into
  "dialog_flow_version" (
    "tenant_id",
    "dialog_flow_id",
    "version",
    "definition",
    "created_at"
  )
values
  ($1, $2, $3, $4, $5);

-- referenceData.findDialogFlow: by id
select
  *
from
  "dialog_flow"
where
  "tenant_id" = $1
  and "id" = $2;

-- referenceData.listDialogFlows: a tenant’s flows
select
  "id",
  "name",
  "created_at",
  "industry",
  "sub_industry",
  "status",
  "intent_level_tag_id",
  "version",
  "enabled"
from
  "dialog_flow"
where
  "tenant_id" = $1
order by
  "id";

-- referenceData.listPhoneLines: a tenant’s caller lines
select
  "id",
  "phone_number",
  "phone_type",
  "name",
  "local_bill_rate",
  "other_bill_rate",
  "call_out_industry",
  "area_code",
  "province",
  "city"
from
  "phone_line"
where
  "tenant_id" = $1
order by
  "id";

-- referenceData.findOwnedIds: two dialog flows
select
  "id"
from
  "dialog_flow"
where
  "tenant_id" = $1
  and "id" in ($2, $3);

-- referenceData.findOwnedIds: two SMS templates
select
  "id"
from
  "sms_template"
where
  "tenant_id" = $1
  and "id" in ($2, $3);

-- referenceData.findOwnedIds: two caller lines
select
  "id"
from
  "phone_line"
where
  "tenant_id" = $1
  and "id" in ($2, $3);

-- referenceData.findOwnedIds: two customer groups
select
  "id"
from
  "customer_group"
where
  "tenant_id" = $1
  and "id" in ($2, $3);
