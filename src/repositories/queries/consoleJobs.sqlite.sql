-- The SQL src/repositories/consoleJobs.ts runs on SQLite, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- consoleJobs.sumJobCalls: a page of jobs
select
  "job_id",
  sum(records) as "records",
  sum(answered) as "answered"
from
  "job_day_stats"
where
  "tenant_id" = ?
  and "job_id" in (?, ?)
group by
  "job_id";
