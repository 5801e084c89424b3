-- The SQL src/repositories/announcementClips.ts runs on PostgreSQL, for each case of src/repositories/queries/cases.ts.
-- Written by `npm run sql`; do not edit. Review changes to it as changes to the queries.

-- announcementClips.insertAnnouncementClip: a clip, unless the tenant has one of that name
insert into
  "announcement_clip" (
    "tenant_id",
    "class",
    "name",
    "audio",
    "audio_bytes",
    "created_at"
  )
values
  ($1, $2, $3, $4, $5, $6)
on conflict ("tenant_id", "name") do nothing
returning
  "id";

-- announcementClips.listAnnouncementClips: the tenant’s, without audio
select
  "id",
  "class",
  "name",
  "audio_bytes",
  "created_at"
from
  "announcement_clip"
where
  "tenant_id" = $1
order by
  "class",
  "name";

-- announcementClips.deleteAnnouncementClip: by name
delete from "announcement_clip"
where
  "tenant_id" = $1
  and "name" = $2;

-- announcementClips.listAnnouncementAudio: an engine key of one tenant
select
  "tenant_id",
  "class",
  "name",
  "audio"
from
  "announcement_clip"
where
  "tenant_id" = $1
order by
  "tenant_id",
  "name";

-- announcementClips.listAnnouncementAudio: an engine key of every tenant
select
  "tenant_id",
  "class",
  "name",
  "audio"
from
  "announcement_clip"
order by
  "tenant_id",
  "name";
