-- The SQL src/repositories/doNotCall.ts runs on SQLite, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- doNotCall.lockDoNotCallList: for an import (shared)
select
  "id"
from
  "tenant"
where
  "id" = ?;

-- doNotCall.lockDoNotCallList: for a change of the list (exclusive)
select
  "id"
from
  "tenant"
where
  "id" = ?;

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
  (?, ?, ?, ?, ?),
  (?, ?, ?, ?, ?)
on conflict ("tenant_id", "phone_number") do nothing
returning
  "phone_number";

-- doNotCall.deleteDoNotCallNumbers: two numbers
delete from "do_not_call"
where
  "tenant_id" = ?
  and "phone_number" in (?, ?)
returning
  "phone_number";

-- doNotCall.findListedNumbers: two numbers
select
  "phone_number"
from
  "do_not_call"
where
  "tenant_id" = ?
  and "phone_number" in (?, ?);

-- doNotCall.countDoNotCall: no filter
select
  count(*) as "n"
from
  "do_not_call"
where
  "tenant_id" = ?;

-- doNotCall.countDoNotCall: digits the number contains
select
  count(*) as "n"
from
  "do_not_call"
where
  "tenant_id" = ?
  and "phone_number" like ? escape '\';

-- doNotCall.listDoNotCall: no filter, first page
select
  "phone_number",
  "reason",
  "added_by",
  "created_at"
from
  "do_not_call"
where
  "tenant_id" = ?
order by
  "created_at" desc,
  "phone_number" desc
limit
  ?
offset
  ?;

-- doNotCall.listDoNotCall: digits the number contains, second page
select
  "phone_number",
  "reason",
  "added_by",
  "created_at"
from
  "do_not_call"
where
  "tenant_id" = ?
  and "phone_number" like ? escape '\'
order by
  "created_at" desc,
  "phone_number" desc
limit
  ?
offset
  ?;
