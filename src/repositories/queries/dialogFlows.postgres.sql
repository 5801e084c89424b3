-- The SQL src/repositories/dialogFlows.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- dialogFlows.insertDialogFlowVersion: version 2
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

-- dialogFlows.moveDialogFlowVersion: from 1 to 2
update "dialog_flow"
set
  "version" = $1,
  "definition" = $2
where
  "tenant_id" = $3
  and "id" = $4
  and "version" = $5;

-- dialogFlows.renameDialogFlow: a flow
update "dialog_flow"
set
  "name" = $1
where
  "tenant_id" = $2
  and "id" = $3;

-- dialogFlows.setDialogFlowEnabled: disabled
update "dialog_flow"
set
  "enabled" = $1
where
  "tenant_id" = $2
  and "id" = $3;

-- dialogFlows.findDialogFlowVersion: version 1
select
  "dialog_flow_id",
  "version",
  "definition",
  "created_at"
from
  "dialog_flow_version"
where
  "tenant_id" = $1
  and "dialog_flow_id" = $2
  and "version" = $3;

-- dialogFlows.listDialogFlowVersions: a flow
select
  "version",
  "created_at"
from
  "dialog_flow_version"
where
  "tenant_id" = $1
  and "dialog_flow_id" = $2
order by
  "version" desc;

-- dialogFlows.findDisabledDialogFlows: two flows
select
  "id"
from
  "dialog_flow"
where
  "tenant_id" = $1
  and "id" in ($2, $3)
  and "enabled" = $4;
