-- The SQL src/repositories/doNotCall.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- doNotCall.lockDoNotCallList: for an import (shared)
select
  "id"
from
  "tenant"
where
  "id" = $1
for share;

-- doNotCall.lockDoNotCallList: for a change of the list (exclusive)
select
  "id"
from
  "tenant"
where
  "id" = $1
for no key update;

-- doNotCall.insertDoNotCallNumbers: two numbers
insert into
  "do_not_call" (
    "tenant_id",
    "phone_number",
    "reason",
    "added_by",
    "created_at"
  )
values
  ($1, $2, $3, $4, $5),
  ($6, $7, $8, $9, $10)
on conflict ("tenant_id", "phone_number") do nothing
returning
  "phone_number";

-- doNotCall.deleteDoNotCallNumbers: two numbers
delete from "do_not_call"
where
  "tenant_id" = $1
  and "phone_number" in ($2, $3)
returning
  "phone_number";

-- doNotCall.findListedNumbers: two numbers
select
  "phone_number"
from
  "do_not_call"
where
  "tenant_id" = $1
  and "phone_number" in ($2, $3);

-- doNotCall.countDoNotCall: no filter
select
  count(*) as "n"
from
  "do_not_call"
where
  "tenant_id" = $1;

-- doNotCall.countDoNotCall: digits the number contains
select
  count(*) as "n"
from
  "do_not_call"
where
  "tenant_id" = $1
  and "phone_number" like $2 escape '\';

-- doNotCall.listDoNotCall: no filter, first page
select
  "phone_number",
  "reason",
  "added_by",
  "created_at"
from
  "do_not_call"
where
  "tenant_id" = $1
order by
  "created_at" desc,
  "phone_number" desc
limit
  $2
offset
  $3;

-- doNotCall.listDoNotCall: digits the number contains, second page
select
  "phone_number",
  "reason",
  "added_by",
  "created_at"
from
  "do_not_call"
where
  "tenant_id" = $1
  and "phone_number" like $2 escape '\'
order by
  "created_at" desc,
  "phone_number" desc
limit
  $3
offset
  $4;
