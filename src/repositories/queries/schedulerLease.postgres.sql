-- The SQL src/repositories/schedulerLease.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- schedulerLease.takeSchedulerLease: taken when lapsed, or renewed
update "scheduler_lease"
set
  "holder" = $1,
  "expires_at" = $2
where
  "name" = $3
  and (
    "holder" = $4
    or "expires_at" < $5
  );

-- schedulerLease.releaseSchedulerLease: given up by its holder
update "scheduler_lease"
set
  "holder" = $1,
  "expires_at" = $2
where
  "name" = $3
  and "holder" = $4;
