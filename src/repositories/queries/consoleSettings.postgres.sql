-- The SQL src/repositories/consoleSettings.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- consoleSettings.findCallbackUrl: the tenant’s
select
  "callback_url"
from
  "tenant"
where
  "id" = $1;
