-- The SQL src/repositories/intentLevelTags.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- intentLevelTags.insertIntentLevelTag: a group with two levels
insert into
  "intent_level_tag" ("tenant_id", "name", "created_at")
values
  ($1, $2, $3)
returning
  "id";

insert into
  "intent_level_tag_detail" (
    "tenant_id",
    "intent_level_tag_id",
    "code",
    "name"
  )
values
  ($1, $2, $3, $4),
  ($5, $6, $7, $8);

-- intentLevelTags.listUsedIntentLevelTags: a tenant’s groups in use
select
  "t"."id",
  "t"."name"
from
  "intent_level_tag" as "t"
where
  "t"."tenant_id" = $1
  and exists (
    select
      "f"."id"
    from
      "dialog_flow" as "f"
    where
      "f"."tenant_id" = $2
      and "f"."intent_level_tag_id" = "t"."id"
  )
order by
  "t"."id";

-- intentLevelTags.findIntentLevelTag: by id
select
  "id",
  "name"
from
  "intent_level_tag"
where
  "tenant_id" = $1
  and "id" = $2;

-- intentLevelTags.listIntentLevelTagDetails: a group’s levels
select
  "code",
  "name"
from
  "intent_level_tag_detail"
where
  "tenant_id" = $1
  and "intent_level_tag_id" = $2
order by
  "code";
