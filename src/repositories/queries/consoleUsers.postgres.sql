-- The SQL src/repositories/consoleUsers.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
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
  ($1, $2, $3, $4, $5, $6, $7)
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
  "u"."username" = $1;

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
  "u"."tenant_id" = $1
order by
  "u"."tenant_id",
  "u"."username";

-- consoleUsers.updateConsoleUserEnabled: disable
update "console_user"
set
  "enabled" = $1
where
  "username" = $2;

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
  ($1, $2, $3, $4, $5, $6, $7)
returning
  "id";

update "console_user"
set
  "password_hash" = $1,
  "password_changed_at" = $2
where
  "id" = $3;

-- consoleUsers.insertLoginFailures: under the user and the address
insert into
  "login_attempt" ("subject", "created_at")
values
  ($1, $2),
  ($3, $4)
returning
  "id";

-- consoleUsers.countLoginFailures: all of a subject
select
  count(*) as "n",
  max("created_at") as "latest"
from
  "login_attempt"
where
  "subject" = $1;

-- consoleUsers.countLoginFailures: but the attempt’s own
select
  count(*) as "n",
  max("created_at") as "latest"
from
  "login_attempt"
where
  "subject" = $1
  and "id" not in ($2, $3);

-- consoleUsers.deleteLoginFailures: a user’s
delete from "login_attempt"
where
  "subject" = $1;

-- consoleUsers.deleteLoginFailuresBefore: forgotten
delete from "login_attempt"
where
  "subject" = $1
  and "created_at" < $2;

-- consoleUsers.deleteLoginAttempts: by id
delete from "login_attempt"
where
  "id" in ($1, $2);

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
      max("created_at") < $1
  );
