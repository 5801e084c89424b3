-- The SQL src/repositories/consoleSessions.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- consoleSessions.insertConsoleSession: a new session
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

insert into
  "console_session" (
    "id",
    "user_id",
    "csrf_token",
    "created_at",
    "last_seen_at",
    "expires_at"
  )
values
  ($1, $2, $3, $4, $5, $6);

-- consoleSessions.findConsoleSession: by id, with user and tenant
select
  "s"."id",
  "s"."csrf_token",
  "s"."created_at",
  "s"."last_seen_at",
  "s"."expires_at",
  "u"."id" as "user_id",
  "u"."username",
  "u"."role",
  "u"."enabled",
  "u"."tenant_id",
  "t"."name" as "tenant_name",
  "t"."tenant_sign",
  "t"."time_zone"
from
  "console_session" as "s"
  inner join "console_user" as "u" on "u"."id" = "s"."user_id"
  inner join "tenant" as "t" on "t"."id" = "u"."tenant_id"
where
  "s"."id" = $1;

-- consoleSessions.touchConsoleSession: seen now
update "console_session"
set
  "last_seen_at" = $1
where
  "id" = $2;

-- consoleSessions.deleteConsoleSession: sign-out
delete from "console_session"
where
  "id" = $1;

-- consoleSessions.deleteConsoleSessionsOfUser: every session of a user
delete from "console_session"
where
  "user_id" = $1;

-- consoleSessions.deleteConsoleSessionsOfUser: all but the current one
delete from "console_session"
where
  "user_id" = $1
  and "id" != $2;

-- consoleSessions.deleteExpiredConsoleSessions: past either expiry
delete from "console_session"
where
  (
    "expires_at" <= $1
    or "last_seen_at" < $2
  );
