-- The SQL src/repositories/dialogFlows.ts runs on SQLite, for each case of src/repositories/queries/cases.ts.
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
  (?, ?, ?, ?, ?);

-- dialogFlows.moveDialogFlowVersion: from 1 to 2
update "dialog_flow"
set
  "version" = ?,
  "definition" = ?
where
  "tenant_id" = ?
  and "id" = ?
  and "version" = ?;

-- dialogFlows.renameDialogFlow: a flow
update "dialog_flow"
set
  "name" = ?
where
  "tenant_id" = ?
  and "id" = ?;

-- dialogFlows.setDialogFlowEnabled: disabled
update "dialog_flow"
set
  "enabled" = ?
where
  "tenant_id" = ?
  and "id" = ?;

-- dialogFlows.findDialogFlowVersion: version 1
select
  "dialog_flow_id",
  "version",
  "definition",
  "created_at"
from
  "dialog_flow_version"
where
  "tenant_id" = ?
  and "dialog_flow_id" = ?
  and "version" = ?;

-- dialogFlows.listDialogFlowVersions: a flow
select
  "version",
  "created_at"
from
  "dialog_flow_version"
where
  "tenant_id" = ?
  and "dialog_flow_id" = ?
order by
  "version" desc;

-- dialogFlows.findDisabledDialogFlows: two flows
select
  "id"
from
  "dialog_flow"
where
  "tenant_id" = ?
  and "id" in (?, ?)
  and "enabled" = ?;
