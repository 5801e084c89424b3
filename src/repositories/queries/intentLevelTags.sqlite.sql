-- The SQL src/repositories/intentLevelTags.ts runs on SQLite, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- intentLevelTags.insertIntentLevelTag: a group with two levels
insert into
  "intent_level_tag" ("tenant_id", "name", "created_at")
values
  (?, ?, ?)
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
  (?, ?, ?, ?),
  (?, ?, ?, ?);

-- intentLevelTags.listUsedIntentLevelTags: a tenant’s groups in use
select
  "t"."id",
  "t"."name"
from
  "intent_level_tag" as "t"
where
  "t"."tenant_id" = ?
  and exists (
    select
      "f"."id"
    from
      "dialog_flow" as "f"
    where
      "f"."tenant_id" = ?
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
  "tenant_id" = ?
  and "id" = ?;

-- intentLevelTags.listIntentLevelTagDetails: a group’s levels
select
  "code",
  "name"
from
  "intent_level_tag_detail"
where
  "tenant_id" = ?
  and "intent_level_tag_id" = ?
order by
  "code";
