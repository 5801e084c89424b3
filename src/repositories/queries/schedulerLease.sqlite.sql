-- The SQL src/repositories/schedulerLease.ts runs on SQLite, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- schedulerLease.takeSchedulerLease: taken when lapsed, or renewed
update "scheduler_lease"
set
  "holder" = ?,
  "expires_at" = ?
where
  "name" = ?
  and (
    "holder" = ?
    or "expires_at" < ?
  );

-- schedulerLease.releaseSchedulerLease: given up by its holder
update "scheduler_lease"
set
  "holder" = ?,
  "expires_at" = ?
where
  "name" = ?
  and "holder" = ?;
