-- The SQL src/repositories/consoleUsers.ts runs on SQLite, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- consoleUsers.insertConsoleUser: an admin
insert into
  "console_user" (
    "tenant_id",
    "username",
    "password_hash",
    "role",
    "enabled",
    "created_at",
    "password_changed_at"
  )
values
  (?, ?, ?, ?, ?, ?, ?)
returning
  "id";

-- consoleUsers.findConsoleUserByName: by name, with the tenant
select
  "u".*,
  "t"."name" as "tenant_name",
  "t"."tenant_sign",
  "t"."time_zone"
from
  "console_user" as "u"
  inner join "tenant" as "t" on "t"."id" = "u"."tenant_id"
where
  "u"."username" = ?;

-- consoleUsers.listConsoleUsers: every tenant’s
select
  "u"."id",
  "u"."tenant_id",
  "u"."username",
  "u"."role",
  "u"."enabled",
  "u"."created_at",
  "u"."password_changed_at",
  "t"."tenant_sign"
from
  "console_user" as "u"
  inner join "tenant" as "t" on "t"."id" = "u"."tenant_id"
order by
  "u"."tenant_id",
  "u"."username";

-- consoleUsers.listConsoleUsers: one tenant’s
select
  "u"."id",
  "u"."tenant_id",
  "u"."username",
  "u"."role",
  "u"."enabled",
  "u"."created_at",
  "u"."password_changed_at",
  "t"."tenant_sign"
from
  "console_user" as "u"
  inner join "tenant" as "t" on "t"."id" = "u"."tenant_id"
where
  "u"."tenant_id" = ?
order by
  "u"."tenant_id",
  "u"."username";

-- consoleUsers.updateConsoleUserEnabled: disable
update "console_user"
set
  "enabled" = ?
where
  "username" = ?;

-- consoleUsers.updateConsoleUserPassword: a new hash
insert into
  "console_user" (
    "tenant_id",
    "username",
    "password_hash",
    "role",
    "enabled",
    "created_at",
    "password_changed_at"
  )
values
  (?, ?, ?, ?, ?, ?, ?)
returning
  "id";

update "console_user"
set
  "password_hash" = ?,
  "password_changed_at" = ?
where
  "id" = ?;

-- consoleUsers.insertLoginFailures: under the user and the address
insert into
  "login_attempt" ("subject", "created_at")
values
  (?, ?),
  (?, ?)
returning
  "id";

-- consoleUsers.countLoginFailures: all of a subject
select
  count(*) as "n",
  max("created_at") as "latest"
from
  "login_attempt"
where
  "subject" = ?;

-- consoleUsers.countLoginFailures: but the attempt’s own
select
  count(*) as "n",
  max("created_at") as "latest"
from
  "login_attempt"
where
  "subject" = ?
  and "id" not in (?, ?);

-- consoleUsers.deleteLoginFailures: a user’s
delete from "login_attempt"
where
  "subject" = ?;

-- consoleUsers.deleteLoginFailuresBefore: forgotten
delete from "login_attempt"
where
  "subject" = ?
  and "created_at" < ?;

-- consoleUsers.deleteLoginAttempts: by id
delete from "login_attempt"
where
  "id" in (?, ?);

-- consoleUsers.deleteQuietLoginSubjects: none since the window began
delete from "login_attempt"
where
  "subject" in (
    select
      "subject"
    from
      "login_attempt"
    group by
      "subject"
    having
      max("created_at") < ?
  );
