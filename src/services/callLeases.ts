import { randomBytes } from 'node:crypto';
import type { Database } from '../db/database.js';
import { isWithinCallingHours } from '../domain/callingHours.js';
import {
  type AnsweredBy,
  callOutcome,
  defaultIntentLevel,
  type EarlyMediaClass,
  type EndedBy,
} from '../domain/callOutcome.js';
import { ConversationEnded, nextTurn, type Step, type Turn } from '../domain/dialogEngine.js';
import { type DialogFlowDefinition, scriptOf } from '../domain/dialogFlow.js';
import type { HangupBy, IntentLevel, ResultStatus, TurnType } from '../domain/enums.js';
import { conflict, notFound } from '../domain/errors.js';
import type { LineEngine } from '../domain/phoneLine.js';
import { localDate, startOfLocalDate } from '../domain/time.js';
import {
  type CallLease,
  callsToNumbersOnLines,
  claimsOnLinesSince,
  countLapsesBeforeDial,
  endLeases,
  endLeasesWithResults,
  findClaimDetails,
  findDueCallTasks,
  findJobStatuses,
  findLapsedLeases,
  findLeases,
  findLineLimits,
  insertLeases,
  type JobToClaim,
  type LineToClaim,
  listedNumbers,
  listJobsToClaim,
  lockJobForClaim,
  lockLease,
  lockLeases,
  markLeasesDialled,
  moveTasksToCalling,
  putTaskBack,
  raiseHighWaterMarks,
  renewLeases,
  updateLease,
} from '../repositories/callLeases.js';
import { findCallRecordIdsByIdempotencyKey } from '../repositories/callRecords.js';
import { parseJson } from '../repositories/rows.js';
import { type FinishedCall, recordFinishedCalls, retryDeadlock } from './callResults.js';
import { noteLineOutcome } from './phoneLines.js';
import { decryptSecret } from './secrets.js';
import { type GroupOutcome, groupsOf, WriteGroups } from './writeGroups.js';

/*
 * The call-engine protocol's rules (docs/engines.md): how a claim decides which call tasks an
 * engine gets, and what dial, heartbeat, release, result and the reaper do with a lease. The HTTP
 * routes (http/routes/engine/) and the built-in simulator (an engine in process) both call these.
 *
 * How a claim decides, per job of the engine's scope (the key's tenant, or all), in id order:
 *   - the job is IN_PROCESS, and now is inside its daily window and outside its inactive windows
 *     in the tenant's time zone;
 *   - its lines: the job's enabled lines of the engine's kind (`external` for engines over HTTP,
 *     `simulated` for the simulator, which also takes jobs with no line at all), among the lines
 *     the engine named; a line takes a call while its live leases are below its channels
 *     (concurrency_quota; null: no limit), its claims in the last second below calls_per_second,
 *     and, per called number, the calls dialled (or claimed) since the tenant-local midnight below
 *     daily_cap_per_number;
 *   - the job's live leases stay below its concurrency (concurrency_quota, else robot_count);
 *   - a task is due: not started or waiting for a redial whose time has come, not on the tenant's
 *     do-not-call list, with no live lease;
 *   - each task goes to the job's line with the most free channels left, so a job's calls spread
 *     over its lines; at most `max` tasks in all.
 * One transaction per job, shared by the claims of that job waiting in this process: the job's
 * claim lock, then its lines' (in id order; advisory locks on PostgreSQL), so claims of one job
 * and claims on one line count live leases one at a time; tasks are picked FOR UPDATE SKIP LOCKED
 * and leases inserted ON CONFLICT DO NOTHING against the unique index of live leases per task —
 * two claims can never both get a task. A claim writes no call_task row (no data version moves);
 * only a line's high-water mark, when it rises.
 *
 * Lock order: a lease first, then (dial, result) its call task and what recordFinishedCalls locks in
 * its own order (services/callResults.ts); claims lock job, lines, then tasks, and never wait on a
 * task (SKIP LOCKED).
 */

/** Who claims: an engine key (over HTTP) or the built-in simulator (in process). */
export interface Engine {
  /** Null for the built-in simulator. */
  engineKeyId: number | null;
  name: string;
  /** The one tenant the key serves, or null for all tenants. */
  tenantId: number | null;
  /** Which lines it dials: `external` (engines over HTTP) or `simulated` (the built-in simulator). */
  kind: LineEngine;
}

export interface LeaseSettings {
  /** How long a lease lives without a heartbeat (ENGINE_LEASE_TTL_MS). */
  leaseTtlMs: number;
  /** Added to a dialled call's ring timeout and maximum length before it is declared lost (ENGINE_LEASE_GRACE_MS). */
  leaseGraceMs: number;
  /** Failures in a row that disable a caller line (LINE_FAILURE_LIMIT; default 20). */
  lineFailureLimit?: number;
}

/** Where a line disabled after failures is told (services/phoneLines.ts noteLineOutcome). */
export interface LeaseLog {
  warn(obj: object, msg: string): void;
}
const SILENT: LeaseLog = { warn: () => {} };

export const DEFAULT_LEASE_SETTINGS: LeaseSettings = { leaseTtlMs: 30_000, leaseGraceMs: 60_000 };

/** The interval an engine heartbeats at: six beats per TTL, so a late one or two do not lose a lease. */
export const heartbeatIntervalOf = (settings: LeaseSettings) => Math.max(1, Math.floor(settings.leaseTtlMs / 6));

/** How many lapses before dial an attempt survives; the next records SYSTEM_ERROR (poison). */
export const LAPSES_BEFORE_POISON = 3;

export interface ClaimRequest {
  /** The lines the engine serves; omitted: any of the scope's lines of its kind. */
  lines?: readonly number[];
  /** At most this many tasks (its free channels). */
  max: number;
}

export interface ClaimedTask {
  leaseId: string;
  leaseTtlMs: number;
  callTaskId: number;
  robotCallJobId: number;
  tenantId: number;
  calledPhoneNumber: string;
  attempt: number;
  /** Null only for a lineless job's simulated call. */
  line: {
    phoneLineId: number;
    phoneNumber: string;
    phoneType: string;
    callerId: string;
    ringTimeoutSeconds: number;
    maxCallSeconds: number;
    trunk?: { sipUri: string; username: string | null; password: string | null; transport: string; codecs: string[] };
  } | null;
  dialogFlow: { dialogFlowId: number; version: number; name: string; script: unknown };
  customer: { customerPersonId: number; name: string; properties: Record<string, unknown> };
}

export interface ClaimAnswer {
  heartbeatIntervalMs: number;
  tasks: ClaimedTask[];
}

/** Figures for /metrics, per process (services and routes of this process). */
export const engineCounters = {
  claims: 0,
  tasksClaimed: 0,
  /** Leases ended before dial, by reason. */
  endedBeforeDial: new Map<string, number>(),
  /** Leases ended after dial, by reason. */
  endedAfterDial: new Map<string, number>(),
  /** Results per line and status: key `lineId|status` (lineId '' for a lineless call). */
  outcomes: new Map<string, number>(),
};

const bump = (map: Map<string, number>, key: string, n = 1) => map.set(key, (map.get(key) ?? 0) + n);

function countEnded(lease: Pick<CallLease, 'dialled_at'>, reason: string) {
  bump(lease.dialled_at == null ? engineCounters.endedBeforeDial : engineCounters.endedAfterDial, reason);
}

/** 22 characters of base64url: 132 random bits. */
export const newLeaseId = () => randomBytes(17).toString('base64url').slice(0, 22);

/** A job's concurrency: its quota of the later API, else its 2018 robot count. */
const concurrencyOf = (job: JobToClaim) => job.concurrency_quota ?? job.robot_count;

/** Leases this engine may act on: its own (the simulator's have no key). */
const ownedBy = (lease: CallLease, engine: Engine) => lease.engine_key_id === engine.engineKeyId;

export async function claimCallTasks(
  database: Database,
  engine: Engine,
  request: ClaimRequest,
  settings: LeaseSettings = DEFAULT_LEASE_SETTINGS,
  now = Date.now(),
  /** Told of a job whose data makes its claim fail (a time zone Intl refuses…): that job is skipped, the others served. */
  onJobError: (job: { robotCallJobId: number; tenantId: number }, error: unknown) => void = () => undefined,
): Promise<ClaimAnswer> {
  const answer: ClaimAnswer = { heartbeatIntervalMs: heartbeatIntervalOf(settings), tasks: [] };
  engineCounters.claims++;
  const jobs = await listJobsToClaim(database, {
    tenantId: engine.tenantId,
    kind: engine.kind,
    lineIds: request.lines,
  });
  // Jobs with the fewest live leases for their concurrency first would need their counts; the
  // order of ids is stable and each job is bounded by its concurrency, so all jobs are served.
  for (const job of jobs) {
    if (answer.tasks.length >= request.max) break;
    // One job's bad data stays with that job: it is skipped (and reported), every other job is served.
    try {
      if (!isWithinCallingHours(hoursOf(job), now, job.time_zone)) continue;
      // The job's lines come with it, read before the claim joins its group (their limits are not
      // what the claim lock guards; their load is, and is read under it). None: a lineless job.
      const tasks = await claimGroupsOf(database, job, engine.kind, request.lines).add({
        engine,
        job,
        max: request.max - answer.tasks.length,
        settings,
        now,
      });
      answer.tasks.push(...tasks);
    } catch (error) {
      onJobError({ robotCallJobId: job.id, tenantId: job.tenant_id }, error);
    }
  }
  engineCounters.tasksClaimed += answer.tasks.length;
  return answer;
}

const hoursOf = (job: JobToClaim) => ({
  dailyStartTime: job.daily_start_time,
  dailyEndTime: job.daily_end_time,
  inactiveTimeList: job.inactive_time_list,
});

/** One engine's claim on one job, waiting for its group (claims of the same job, kind and lines). */
interface PendingClaim {
  engine: Engine;
  /** With its usable lines for this claim (read before it joined the group). */
  job: JobToClaim;
  max: number;
  settings: LeaseSettings;
  now: number;
}

const claimGroups = new WeakMap<Database, Map<string, WriteGroups<PendingClaim, ClaimedTask[]>>>();
/** Idle groups (of jobs no longer claimed) are dropped once there are this many. */
const CLAIM_GROUPS_KEPT = 200;

/**
 * Claims of one job are taken in groups (services/writeGroups.ts), per process: while one group's
 * transaction runs, the claims that arrive wait in memory (holding no database connection), then
 * all go through one transaction — the job's lock taken, its leases counted and its due tasks read
 * once for all. Many engines claiming one job would otherwise queue one transaction each on the
 * job's lock. Each claim still gets its own tasks, at most its `max`, in the order they came.
 */
function claimGroupsOf(database: Database, job: JobToClaim, kind: LineEngine, lines: readonly number[] | undefined) {
  const kept = claimGroups.get(database) ?? new Map<string, WriteGroups<PendingClaim, ClaimedTask[]>>();
  claimGroups.set(database, kept);
  const key = `${job.id}|${kind}|${lines ? [...lines].sort((a, b) => a - b).join(',') : '*'}`;
  let groups = kept.get(key);
  if (!groups) {
    if (kept.size >= CLAIM_GROUPS_KEPT) for (const [k, g] of kept) if (g.idle) kept.delete(k);
    let n = 0;
    groups = new WriteGroups(
      database,
      async (database, items: PendingClaim[]) => {
        const decided = await retryDeadlock(() => database.transaction((db) => claimFromJob(db, items, database)));
        const { claimed, claimOf, lineOf } = decided;
        if (claimed.length === 0) return items.map(() => ({ value: [] }));
        const described = describeClaims(
          database,
          items[0]!.engine,
          claimed,
          lineOf,
          await detailsOf(database, decided),
        );
        return items.map((c) => ({ value: described.filter((_, i) => claimOf.get(claimed[i]!.id) === c) }));
      },
      // Claims have nothing to share a key on: every one is its own.
      { key: () => String(n++) },
    );
    kept.set(key, groups);
  }
  return groups;
}

/**
 * One transaction for a group of claims on one job (all of one engine kind and one choice of
 * lines): the job's claim lock, its live leases, its lines' load and its due tasks read once; the
 * tasks handed out in the claims' order, each claim up to its `max`; the leases inserted in one
 * statement. Answers each claim's tasks, in the group's order.
 */
async function claimFromJob(db: Database, claims: PendingClaim[], outside: Database): Promise<ClaimsDecided> {
  const { job, now } = claims[0]!;
  const max = claims.reduce((n, c) => n + c.max, 0);
  const { lines } = job;
  const locked = await lockJobForClaim(
    db,
    job.tenant_id,
    job.id,
    lines.map((l) => l.id),
  );
  const free = concurrencyOf(job) - locked.liveLeases;
  if (!locked.inProcess || free <= 0) return NOTHING_CLAIMED;

  // What each line can still take: channels left, and claims left in this second.
  const recent = await claimsOnLinesSince(
    db,
    lines.filter((l) => l.calls_per_second != null).map((l) => l.id),
    now - 1000,
  );
  const liveOn = (id: number) => locked.liveOnLines.get(id) ?? 0;
  const room = new Map<number, { channels: number; perSecond: number }>();
  for (const line of lines) {
    room.set(line.id, {
      channels: line.concurrency_quota == null ? Number.POSITIVE_INFINITY : line.concurrency_quota - liveOn(line.id),
      perSecond:
        line.calls_per_second == null
          ? Number.POSITIVE_INFINITY
          : Math.ceil(line.calls_per_second) - (recent.get(line.id) ?? 0),
    });
  }
  const lineRoom = (id: number) => {
    const r = room.get(id)!;
    return Math.min(r.channels, r.perSecond);
  };
  const capacity = lines.length === 0 ? free : lines.reduce((n, l) => n + Math.max(0, lineRoom(l.id)), 0);
  const wanted = Math.min(max, free, capacity);
  if (wanted <= 0) return NOTHING_CLAIMED;

  // A few more candidates than wanted: some may be over a line's daily cap for their number.
  const candidates = await findDueCallTasks(db, job.tenant_id, job.id, wanted * 2 + 5, now);
  const capped = lines.filter((l) => l.daily_cap_per_number != null);
  const midnight = startOfLocalDate(localDate(now, job.time_zone), job.time_zone);
  const callsToday = await callsToNumbersOnLines(
    db,
    capped.map((l) => l.id),
    candidates.map((t) => t.called_phone_number),
    midnight,
  );

  const leases: CallLease[] = [];
  const lineOf = new Map<string, LineToClaim | null>();
  // Whose each lease is: the claims in order, each up to its max.
  const claimOf = new Map<string, PendingClaim>();
  let taker = 0;
  let taken = 0;
  for (const task of candidates) {
    if (leases.length >= wanted) break;
    let chosen: LineToClaim | null = null;
    if (lines.length > 0) {
      // The line with the most room first; one whose cap this number has reached is passed over.
      const usable = lines
        .filter((l) => lineRoom(l.id) > 0)
        .filter(
          (l) =>
            l.daily_cap_per_number == null ||
            (callsToday.get(`${l.id}|${task.called_phone_number}`) ?? 0) < l.daily_cap_per_number,
        )
        .sort((a, b) => lineRoom(b.id) - lineRoom(a.id) || a.id - b.id);
      chosen = usable[0] ?? null;
      if (!chosen) continue;
      const r = room.get(chosen.id)!;
      r.channels--;
      r.perSecond--;
      const key = `${chosen.id}|${task.called_phone_number}`;
      callsToday.set(key, (callsToday.get(key) ?? 0) + 1);
    }
    while (taken >= claims[taker]!.max) {
      taker++;
      taken = 0;
    }
    const claim = claims[taker]!;
    taken++;
    const lease: CallLease = {
      id: newLeaseId(),
      tenant_id: job.tenant_id,
      job_id: job.id,
      call_task_id: task.id,
      phone_line_id: chosen?.id ?? null,
      engine_key_id: claim.engine.engineKeyId,
      called_phone_number: task.called_phone_number,
      attempt: task.attempts + 1,
      state: 'claimed',
      phase: null,
      claimed_at: claim.now,
      dialled_at: null,
      expires_at: claim.now + claim.settings.leaseTtlMs,
      deadline_at: null,
      ended_at: null,
      ended_reason: null,
      result_status: null,
    };
    leases.push(lease);
    lineOf.set(lease.id, chosen);
    claimOf.set(lease.id, claim);
  }
  if (leases.length === 0) return NOTHING_CLAIMED;
  // The customers and the flow are read meanwhile, outside the transaction (they are not what the
  // claim lock guards): neither the answer nor the lock waits for that round trip. Awaited by the
  // caller; caught here too, so a transaction that fails first leaves no unhandled rejection.
  const details = findClaimDetails(
    outside,
    job.tenant_id,
    leases.map((l) => l.call_task_id),
  );
  details.catch(() => undefined);
  const inserted = await insertLeases(db, leases);
  const claimed = leases.filter((l) => inserted.has(l.id));
  // A line's high-water mark is written only when this claim took it higher: a write on phone_line
  // moves the tenant's data version (answer cache), which claims otherwise never do.
  const risen = lines.filter((l) => {
    const live = liveOn(l.id) + claimed.filter((c) => c.phone_line_id === l.id).length;
    return live > l.high_water_mark;
  });
  await raiseHighWaterMarks(
    db,
    risen.map((l) => l.id),
  );
  return { claimed, claimOf, lineOf, details };
}

/** What a group's transaction decided: the leases it inserted, whose each is, and what to tell. */
interface ClaimsDecided {
  claimed: CallLease[];
  claimOf: Map<string, PendingClaim>;
  lineOf: Map<string, LineToClaim | null>;
  details?: ReturnType<typeof findClaimDetails>;
}

const NOTHING_CLAIMED: ClaimsDecided = { claimed: [], claimOf: new Map(), lineOf: new Map() };

/**
 * The claim answer's details; when they cannot be read, the leases just inserted are released
 * (their engines were told nothing, so cannot dial them): the tasks are due again at once, without
 * a lapse counted against them.
 */
async function detailsOf(database: Database, { claimed, details }: ClaimsDecided) {
  try {
    return await details!;
  } catch (error) {
    await releaseLeasesOfClaim(database, claimed).catch(() => undefined);
    throw error;
  }
}

/** The claim answer of each lease: the task, its line (and trunk), the dialog flow, the customer. */
function describeClaims(
  database: Database,
  engine: Engine,
  leases: CallLease[],
  lineOf: Map<string, LineToClaim | null>,
  details: Awaited<ReturnType<typeof findClaimDetails>>,
): ClaimedTask[] {
  return leases.map((lease) => {
    const d = details.get(lease.call_task_id)!;
    const line = lineOf.get(lease.id) ?? null;
    // The trunk and its credentials go only to engines over HTTP (the claim answered only tasks of
    // tenants the key may serve); the simulator dials nothing real.
    const trunk = engine.kind === 'external' && line?.sip_uri != null ? line : undefined;
    return {
      leaseId: lease.id,
      leaseTtlMs: lease.expires_at - lease.claimed_at,
      callTaskId: lease.call_task_id,
      robotCallJobId: lease.job_id,
      tenantId: lease.tenant_id,
      calledPhoneNumber: lease.called_phone_number,
      attempt: lease.attempt,
      line: line && {
        phoneLineId: line.id,
        phoneNumber: line.phone_number,
        phoneType: line.phone_type,
        callerId: line.phone_number,
        ringTimeoutSeconds: line.ring_timeout_seconds,
        maxCallSeconds: line.max_call_seconds,
        ...(trunk && {
          trunk: {
            sipUri: trunk.sip_uri!,
            username: trunk.sip_username,
            password:
              trunk.sip_password == null
                ? null
                : decryptSecret(trunk.sip_password, `phone_line.sip_password:${line.id}`),
            transport: trunk.sip_transport,
            codecs: parseJson<string[]>(trunk.sip_codecs, []),
          },
        }),
      },
      // The version the job speaks (a running job keeps the version it started with).
      dialogFlow: {
        dialogFlowId: d.dialog_flow_id,
        version: d.dialog_flow_version,
        name: d.flow_name,
        script: flowScriptOf(database, d),
      },
      customer: {
        customerPersonId: d.customer_person_id,
        name: d.customer_name,
        properties: parseJson<Record<string, unknown>>(d.properties, {}),
      },
    };
  });
}

/**
 * A flow version's script, checked once per process: a stored version never changes (an edit makes
 * a new one), and checking a script costs more than the rest of a claim's work for its task. The
 * database and the version's creation instant are in the key, so neither another database's flow
 * of the same id nor an id SQLite gives again after a deletion is mistaken for the old flow.
 */
const scripts = new Map<string, DialogFlowDefinition>();
const SCRIPTS_KEPT = 500;
function flowScriptOf(
  db: Database,
  d: {
    dialog_flow_id: number;
    dialog_flow_version: number;
    flow_version_created_at: number;
    definition: unknown;
  },
): DialogFlowDefinition {
  const key = `${db.location}|${d.dialog_flow_id}|${d.dialog_flow_version}|${d.flow_version_created_at}`;
  const kept = scripts.get(key);
  if (kept) return kept;
  const script = scriptOf(parseJson(d.definition, null));
  if (scripts.size >= SCRIPTS_KEPT) scripts.delete(scripts.keys().next().value!);
  scripts.set(key, script);
  return script;
}

/**
 * turn: the dialog engine for engines with speech recognition and synthesis but no dialog logic.
 * The robot's next step on a dialled lease — from the flow version the job speaks, the conversation
 * so far and the customer's utterance (null: the customer hung up) — with why it was chosen, and at
 * the end the outcome for the result. Reads only: the transcript travels with the result.
 */
export async function nextTurnOfLease(
  database: Database,
  engine: Engine,
  leaseId: string,
  conversation: readonly Turn[],
  utterance: string | null,
): Promise<Step> {
  const [lease] = await findLeases(database, [leaseId]);
  if (!lease || !ownedBy(lease, engine)) throw notFound('leaseId', leaseId);
  if (lease.ended_at != null) throw conflict('lease ended');
  if (lease.state !== 'dialing') throw conflict('lease not dialled: a conversation starts after dial');
  const d = (await findClaimDetails(database, lease.tenant_id, [lease.call_task_id])).get(lease.call_task_id);
  if (!d) throw notFound('leaseId', leaseId);
  const properties = parseJson<Record<string, unknown>>(d.properties, {});
  const variables = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, String(v)]));
  try {
    return nextTurn({ definition: flowScriptOf(database, d) }, conversation, utterance, variables);
  } catch (error) {
    if (error instanceof ConversationEnded) throw conflict(`the conversation has ended: ${error.message}`);
    throw error;
  }
}

/**
 * The engine is about to dial (before its INVITE): the lease moves to `dialing`, its task to
 * CALLING, and it lives until the line's ring timeout and maximum call length plus the grace have
 * passed. Refused (409, and the lease ends: the task goes back without a call) when the lease has
 * ended, the job is no longer IN_PROCESS, or the number went on the do-not-call list.
 */
export function dialCallTask(
  database: Database,
  engine: Engine,
  leaseId: string,
  settings: LeaseSettings = DEFAULT_LEASE_SETTINGS,
  now = Date.now(),
): Promise<{ leaseTtlMs: number }> {
  return groupsOf(dialGroups, database, () => newDialGroups(database)).add({ engine, leaseId, settings, now });
}

interface PendingDial {
  engine: Engine;
  leaseId: string;
  settings: LeaseSettings;
  now: number;
}

const dialGroups = new WeakMap<Database, WriteGroups<PendingDial, { leaseTtlMs: number }>>();

/** Dials are acknowledged in groups (services/writeGroups.ts): one transaction for all waiting. */
const newDialGroups = (database: Database) =>
  new WriteGroups(database, dialLeases, {
    key: (item) => item.leaseId,
    // A refused dial ended its lease: its task is due again.
    afterCommit: async (_, outcomes) => {
      if (outcomes.some((o) => 'error' in o)) claimableWork.notify();
    },
  });

/**
 * One transaction for a group of dials, each statement for the whole group: the leases locked (in
 * id order), the jobs' statuses, the do-not-call lists and the lines read once, the tasks moved to
 * CALLING and the leases to `dialing` in one statement each. A dial refused ends its lease (its
 * task is due again); the others are acknowledged.
 */
async function dialLeases(database: Database, items: PendingDial[]): Promise<GroupOutcome<{ leaseTtlMs: number }>[]> {
  return retryDeadlock(() =>
    database.transaction(async (db) => {
      const leases = await lockLeases(
        db,
        items.map((i) => i.leaseId),
      );
      const outcomes: GroupOutcome<{ leaseTtlMs: number }>[] = [];
      const ending: { lease: CallLease; reason: 'cancelled' | 'expired_before_dial'; at: number }[] = [];
      const refuse = (i: number, lease: CallLease, reason: string, ended: 'cancelled' | 'expired_before_dial') => {
        ending.push({ lease, reason: ended, at: items[i]!.now });
        outcomes[i] = { error: conflict(reason) };
      };
      // What the lease alone decides.
      const open: { i: number; lease: CallLease }[] = [];
      for (const [i, { engine, leaseId, now }] of items.entries()) {
        const lease = leases.get(leaseId);
        if (!lease || !ownedBy(lease, engine)) outcomes[i] = { error: notFound('leaseId', leaseId) };
        else if (lease.state === 'dialing')
          outcomes[i] = {
            value: { leaseTtlMs: Math.max(0, Math.min(lease.expires_at, lease.deadline_at ?? Infinity) - now) },
          };
        else if (lease.ended_at != null) outcomes[i] = { error: conflict('lease ended') };
        else if (lease.expires_at < now) refuse(i, lease, 'lease ended', 'expired_before_dial');
        else open.push({ i, lease });
      }
      // What the job, the do-not-call list and the line decide, read for all at once.
      const statuses = await findJobStatuses(
        db,
        open.map((o) => o.lease.job_id),
      );
      const listed = new Map<number, Set<string>>();
      for (const [tenantId, ofTenant] of groupBy(open, (o) => o.lease.tenant_id))
        listed.set(
          tenantId,
          await listedNumbers(
            db,
            tenantId,
            ofTenant.map((o) => o.lease.called_phone_number),
          ),
        );
      const lines = await findLineLimits(
        db,
        open.flatMap((o) => (o.lease.phone_line_id == null ? [] : [o.lease.phone_line_id])),
      );
      const dialling: { i: number; lease: CallLease; deadline: number }[] = [];
      for (const { i, lease } of open) {
        const status = statuses.get(lease.job_id);
        if (status !== 'IN_PROCESS') refuse(i, lease, status ? `job is ${status}` : 'job deleted', 'cancelled');
        else if (listed.get(lease.tenant_id)!.has(lease.called_phone_number))
          refuse(i, lease, 'number is on the do-not-call list', 'cancelled');
        else {
          const line = lease.phone_line_id == null ? undefined : lines.get(lease.phone_line_id);
          const deadline =
            items[i]!.now +
            ((line?.ring_timeout_seconds ?? 60) + (line?.max_call_seconds ?? 600)) * 1000 +
            items[i]!.settings.leaseGraceMs;
          dialling.push({ i, lease, deadline });
        }
      }
      const moved = await moveTasksToCalling(
        db,
        dialling.map((d) => ({ tenantId: d.lease.tenant_id, taskId: d.lease.call_task_id, until: d.deadline })),
      );
      const dialled: { id: string; at: number; deadlineAt: number; expiresAt: number }[] = [];
      for (const { i, lease, deadline } of dialling) {
        if (!moved.has(lease.call_task_id)) {
          refuse(i, lease, 'call task finished', 'cancelled');
          continue;
        }
        const { now, settings } = items[i]!;
        const expiresAt = Math.min(now + settings.leaseTtlMs, deadline);
        dialled.push({ id: lease.id, at: now, deadlineAt: deadline, expiresAt });
        outcomes[i] = { value: { leaseTtlMs: expiresAt - now } };
      }
      await markLeasesDialled(db, dialled);
      for (const ended of groupBy(ending, (e) => `${e.reason}|${e.at}`).values())
        await endLeases(
          db,
          ended.map((e) => e.lease.id),
          ended[0]!.reason,
          ended[0]!.at,
        );
      for (const e of ending) countEnded(e.lease, e.reason);
      return outcomes;
    }),
  );
}

/** Gives back leases claimed and not dialled: their tasks are due again at once (no lapse counted). */
export async function releaseLeases(
  database: Database,
  engine: Engine,
  leaseIds: readonly string[],
  now = Date.now(),
): Promise<{ released: number }> {
  return release(database, leaseIds, now, { state: 'claimed', engineKeyId: engine.engineKeyId });
}

/** Leases a claim inserted but could not answer: given back as released. */
const releaseLeasesOfClaim = (database: Database, leases: readonly CallLease[]) =>
  release(
    database,
    leases.map((l) => l.id),
    Date.now(),
    { state: 'claimed' },
  );

async function release(
  database: Database,
  leaseIds: readonly string[],
  now: number,
  only: Parameters<typeof endLeases>[4],
): Promise<{ released: number }> {
  const ended = await endLeases(database, leaseIds, 'released', now, only);
  for (const lease of ended) countEnded(lease, 'released');
  if (ended.length > 0) claimableWork.notify();
  return { released: ended.length };
}

export type LeasePhase = 'ringing' | 'early_media' | 'answered';

export interface HeartbeatAnswer {
  leaseId: string;
  leaseTtlMs: number;
  /** Hang up (or do not dial): the lease ended, the job stopped, or the number went on the do-not-call list. */
  cancel: boolean;
  reason?: string;
}

/**
 * Renews this engine's leases: each lives another TTL (a dialled one never past its deadline), and
 * `cancel` says which calls to end: the lease has ended (or is unknown), the job is no longer
 * IN_PROCESS (paused, stopped, deleted), or — before answer — the number went on the do-not-call
 * list. Writes only call_lease.
 */
export async function heartbeatLeases(
  database: Database,
  engine: Engine,
  beats: readonly { leaseId: string; phase?: LeasePhase }[],
  settings: LeaseSettings = DEFAULT_LEASE_SETTINGS,
  now = Date.now(),
): Promise<{ leases: HeartbeatAnswer[] }> {
  const leases = new Map(
    (
      await findLeases(
        database,
        beats.map((b) => b.leaseId),
      )
    )
      .filter((l) => ownedBy(l, engine))
      .map((l) => [l.id, l]),
  );
  const jobs = await findJobStatuses(
    database,
    [...leases.values()].map((l) => l.job_id),
  );
  const listed = new Map<number, Set<string>>();
  for (const l of leases.values()) {
    const numbers = [...leases.values()].filter((x) => x.tenant_id === l.tenant_id).map((x) => x.called_phone_number);
    if (!listed.has(l.tenant_id)) listed.set(l.tenant_id, await listedNumbers(database, l.tenant_id, numbers));
  }
  const answers: HeartbeatAnswer[] = [];
  const renewals: { id: string; expiresAt: number; phase?: LeasePhase }[] = [];
  for (const beat of beats) {
    const lease = leases.get(beat.leaseId);
    if (!lease || lease.ended_at != null) {
      answers.push({ leaseId: beat.leaseId, leaseTtlMs: 0, cancel: true, reason: 'lease ended' });
      continue;
    }
    const phase = beat.phase ?? lease.phase;
    const expiresAt = Math.min(now + settings.leaseTtlMs, lease.deadline_at ?? Number.POSITIVE_INFINITY);
    renewals.push({ id: lease.id, expiresAt, phase: beat.phase });
    const status = jobs.get(lease.job_id);
    const reason =
      status === undefined
        ? 'job deleted'
        : status !== 'IN_PROCESS'
          ? `job is ${status}`
          : phase !== 'answered' && listed.get(lease.tenant_id)?.has(lease.called_phone_number)
            ? 'number is on the do-not-call list'
            : lease.deadline_at != null && expiresAt <= now
              ? 'call longer than the line allows'
              : undefined;
    answers.push({
      leaseId: lease.id,
      leaseTtlMs: Math.max(0, expiresAt - now),
      cancel: reason !== undefined,
      ...(reason !== undefined && { reason }),
    });
  }
  await renewLeases(database, renewals);
  return { leases: answers };
}

/** What an engine reports of a dialled call (docs/engines.md, "result"). */
export interface CallReport {
  sipCode?: number;
  sipReason?: string;
  q850Cause?: number;
  earlyMedia?: { class: EarlyMediaClass; confidence: number };
  answeredBy?: AnsweredBy;
  /** Epoch milliseconds. */
  ringAt?: number;
  answerAt?: number;
  endAt?: number;
  endedBy: EndedBy;
  resultHint?: ResultStatus;
  turns?: { type: TurnType; text: string }[];
  intentLevel?: IntentLevel;
  customerConcern?: string[];
  recordingUrl?: string;
  analysisBasis?: string;
}

export interface ResultAnswer {
  /** Null when nothing was recorded (a call cancelled before answer). */
  callRecordId: number | null;
  resultStatus: ResultStatus;
}

const HANGUP: Record<EndedBy, HangupBy> = {
  remote: 'REMOTE_HANGUP',
  local: 'ROBOT_HANGUP',
  ring_timeout: 'SYSTEM_HANGUP',
  cancel: 'SYSTEM_HANGUP',
  shutdown: 'SYSTEM_HANGUP',
};

/**
 * Records a dialled call's result through the one write path (idempotency key `lease-<leaseId>`):
 * the status from the outcome table, the customer on to the job's redial rule. A replay answers the
 * same. A call we cancelled before answer (`endedBy` cancel or shutdown) records nothing and gives
 * the task back without spending a redial. 409 before dial, after the lease ended otherwise, and
 * after it was reaped as lost.
 *
 * Results are recorded in groups (services/writeGroups.ts): the results waiting go through one
 * transaction and one `recordFinishedCalls`, where one call alone costs a transaction of ~30
 * statements. Each result is still answered alone, with its own record or its own refusal.
 */
export function reportCallResult(
  database: Database,
  engine: Engine,
  leaseId: string,
  report: CallReport,
  now = Date.now(),
  options: { settings?: LeaseSettings; log?: LeaseLog } = {},
): Promise<ResultAnswer> {
  return groupsOf(resultGroups, database, () => newResultGroups(database))
    .add({ engine, leaseId, report, now, options })
    .then(({ lease, replay, answer }) => {
      if (!replay) {
        countEnded(lease, 'result');
        bump(engineCounters.outcomes, `${lease.phone_line_id ?? ''}|${answer.resultStatus}`);
      }
      return answer;
    });
}

interface PendingResult {
  engine: Engine;
  leaseId: string;
  report: CallReport;
  now: number;
  options: { settings?: LeaseSettings; log?: LeaseLog };
}

/** What one result came to inside its group's transaction. */
interface RecordedResult {
  lease: CallLease;
  replay: boolean;
  answer: ResultAnswer;
}

const resultGroups = new WeakMap<Database, WriteGroups<PendingResult, RecordedResult>>();

const newResultGroups = (database: Database) =>
  new WriteGroups(database, recordResults, {
    key: (item) => item.leaseId,
    // The line's health after the group's commit, in order (a line disabled after K failures);
    // a line with no failure in the group is reset once.
    afterCommit: async (items, outcomes) => {
      const recorded = outcomes.flatMap((o, i) =>
        'error' in o || o.value.replay || o.value.answer.callRecordId == null ? [] : [{ ...o.value, item: items[i]! }],
      );
      const failing = new Set(
        recorded.filter((r) => LINE_FAILURES.has(r.answer.resultStatus)).map((r) => r.lease.phone_line_id),
      );
      const reset = new Set<number | null>();
      for (const r of recorded) {
        const line = r.lease.phone_line_id;
        if (!failing.has(line) && reset.has(line)) continue;
        reset.add(line);
        await noteLine(database, r.lease, r.answer, r.item.now, r.item.options).catch((error: unknown) =>
          (r.item.options.log ?? SILENT).warn({ err: error, leaseId: r.lease.id }, 'line health not noted'),
        );
      }
      if (outcomes.some((o) => !('error' in o) && !o.value.replay)) claimableWork.notify();
    },
  });

/**
 * One transaction for a group of results: the leases locked (in id order, as every writer of
 * several leases does), each result checked against its lease, the calls to record written by one
 * `recordFinishedCalls` per tenant, the leases ended. A result refused (unknown lease, out of turn,
 * late) is refused alone; the others are recorded.
 */
async function recordResults(database: Database, items: PendingResult[]): Promise<GroupOutcome<RecordedResult>[]> {
  return retryDeadlock(() =>
    database.transaction(async (db) => {
      const leases = await lockLeases(
        db,
        items.map((i) => i.leaseId),
      );
      const outcomes: GroupOutcome<RecordedResult>[] = [];
      const taken: { result: RecordedResult; at: number }[] = [];
      const calls: { call: FinishedCall; lease: CallLease; at: number }[] = [];
      for (const item of items) {
        const lease = leases.get(item.leaseId);
        const refusal = resultRefusal(lease, item);
        if (refusal || !lease) {
          outcomes.push({ error: refusal });
          continue;
        }
        const replay = lease.ended_reason === 'result';
        const { call, resultStatus } = replay
          ? { call: null, resultStatus: lease.result_status! }
          : callOfResult(lease, item);
        const value = { lease, replay, answer: { callRecordId: null, resultStatus } };
        outcomes.push({ value });
        if (replay) continue;
        taken.push({ result: value, at: item.now });
        if (call) calls.push({ call, lease, at: item.now });
        // Our own hang-up before anyone answered: no call to record, the task is due again at once.
        else await putTaskBack(db, lease.tenant_id, lease.call_task_id, item.now);
      }
      // The calls, one write per tenant; a replay answers the record its first report made.
      const replays = outcomes.flatMap((o) => ('value' in o && o.value.replay ? [o.value] : []));
      for (const [tenantId, ofTenant] of groupBy(replays, (r) => r.lease.tenant_id)) {
        const ids = await findCallRecordIdsByIdempotencyKey(
          db,
          tenantId,
          ofTenant.map((r) => `lease-${r.lease.id}`),
        );
        for (const r of ofTenant) r.answer.callRecordId = ids.get(`lease-${r.lease.id}`) ?? null;
      }
      for (const [tenantId, ofTenant] of groupBy(calls, (c) => c.lease.tenant_id)) {
        const recorded = await recordFinishedCalls(
          db,
          tenantId,
          ofTenant.map((c) => c.call),
          Math.max(...ofTenant.map((c) => c.at)),
        );
        const idOf = new Map(recorded.map((r) => [r.idempotencyKey, r.callRecordId]));
        for (const { result } of taken)
          if (result.lease.tenant_id === tenantId)
            result.answer.callRecordId = idOf.get(`lease-${result.lease.id}`) ?? null;
      }
      await endLeasesWithResults(
        db,
        taken.map(({ result, at }) => ({ id: result.lease.id, resultStatus: result.answer.resultStatus, at })),
      );
      return outcomes;
    }),
  );
}

/** Why a result for this lease is refused (undefined: it is taken, or a replay of one taken). */
function resultRefusal(lease: CallLease | undefined, { engine, leaseId }: PendingResult) {
  if (!lease || !ownedBy(lease, engine)) return notFound('leaseId', leaseId);
  if (lease.ended_reason === 'result') return undefined;
  if (lease.ended_reason === 'lost')
    return conflict('lease was reaped as lost (engine lost): the call was recorded as SYSTEM_ERROR');
  if (lease.ended_at != null) return conflict('lease ended');
  if (lease.state !== 'dialing') return conflict('lease not dialled: release it instead');
  return undefined;
}

const groupBy = <T, K>(values: readonly T[], key: (v: T) => K): Map<K, T[]> => {
  const groups = new Map<K, T[]>();
  for (const v of values) groups.set(key(v), [...(groups.get(key(v)) ?? []), v]);
  return groups;
};

/**
 * The call a result reports, for the write path (null: a call we cancelled before anyone answered,
 * which records nothing), and the status the outcome table gives it.
 */
function callOfResult(
  lease: CallLease,
  { engine, report, now }: PendingResult,
): { call: FinishedCall | null; resultStatus: ResultStatus } {
  // An engine's instants are checked against the claim and the server's clock. The built-in
  // simulator's are taken as given: its calls pass DIALER_SPEED times faster than the clock,
  // and it reports them as they would have lasted (ending now), as the dialer before it did.
  const trusted = engine.engineKeyId === null;
  const clamp = (at: number | undefined) =>
    at === undefined || trusted ? at : at < lease.claimed_at - 1000 || at > now + 1000 ? now : at;
  const answerAt = clamp(report.answerAt);
  const endAt = clamp(report.endAt) ?? now;
  const answered = answerAt !== undefined || report.sipCode === 200 || lease.phase === 'answered';
  const { resultStatus, source } = callOutcome({
    sipCode: report.sipCode,
    q850Cause: report.q850Cause,
    earlyMedia: report.earlyMedia,
    endedBy: report.endedBy,
    answerAt,
    resultHint: report.resultHint,
  });
  if ((report.endedBy === 'cancel' || report.endedBy === 'shutdown') && !answered) return { call: null, resultStatus };
  const turns = report.turns ?? [];
  const startTime = Math.min((trusted ? report.ringAt : undefined) ?? lease.dialled_at ?? lease.claimed_at, endAt);
  const call: FinishedCall = {
    idempotencyKey: `lease-${lease.id}`,
    robotCallJobId: lease.job_id,
    callTaskId: lease.call_task_id,
    calledPhoneNumber: lease.called_phone_number,
    phoneLineId: lease.phone_line_id,
    resultStatus,
    intentLevel:
      report.intentLevel ?? defaultIntentLevel(resultStatus, turns.filter((t) => t.type === 'PERSON').length),
    customerConcern: report.customerConcern ?? [],
    fullAudioUrl: report.recordingUrl ?? null,
    analysisBasis: report.analysisBasis ?? '',
    startTime,
    endTime: endAt,
    chatDuration:
      resultStatus === 'ANSWERED' && answerAt !== undefined ? Math.max(0, Math.round((endAt - answerAt) / 1000)) : 0,
    chatRound: turns.filter((t) => t.type === 'PERSON').length,
    attributes: [
      {
        engine: engine.name,
        leaseId: lease.id,
        decidedBy: source,
        endedBy: report.endedBy,
        ...(report.answeredBy !== undefined && { answeredBy: report.answeredBy }),
        ...(report.sipCode !== undefined && { sipCode: report.sipCode }),
        ...(report.sipReason !== undefined && { sipReason: report.sipReason }),
        ...(report.q850Cause !== undefined && { q850Cause: report.q850Cause }),
        ...(report.earlyMedia !== undefined && { earlyMedia: report.earlyMedia }),
      },
    ],
    hangupBy:
      resultStatus === 'REFUSED'
        ? 'REMOTE_HANGUP'
        : resultStatus === 'ANSWERED'
          ? HANGUP[report.endedBy]
          : 'SYSTEM_HANGUP',
    turns,
  };
  return { call, resultStatus };
}

/** The results that count against the line, not the customer: K in a row disable it. */
const LINE_FAILURES: ReadonlySet<ResultStatus> = new Set(['FROM_PHONE_ERROR', 'CAN_NOT_CONNECT']);

/** Tells the line's health of a recorded result (after the result's transaction). */
async function noteLine(
  database: Database,
  lease: CallLease,
  answer: ResultAnswer,
  now: number,
  options: { settings?: LeaseSettings; log?: LeaseLog },
): Promise<void> {
  if (lease.phone_line_id == null || answer.callRecordId == null) return;
  await noteLineOutcome(database, lease.tenant_id, lease.phone_line_id, LINE_FAILURES.has(answer.resultStatus), now, {
    limit: options.settings?.lineFailureLimit ?? 20,
    log: options.log ?? SILENT,
  });
}

export interface ReapReport {
  /** Claimed leases whose TTL ran out: their tasks are due again. */
  expiredBeforeDial: number;
  /** Of those, the attempts that lapsed once too often: recorded as SYSTEM_ERROR. */
  poisoned: number;
  /** Dialled leases past their deadline: recorded as SYSTEM_ERROR ("engine lost"). */
  lost: number;
}

/**
 * Ends the leases whose engine went quiet (the scheduler calls this each tick): a claimed lease past
 * its TTL puts its task back at once — the 4th lapse of one attempt records SYSTEM_ERROR instead
 * (a poison task cannot loop) — and a dialled lease past its deadline records SYSTEM_ERROR
 * "engine lost" through the write path (redial rule, statistics, callbacks).
 */
export async function reapLeases(database: Database, now = Date.now(), limit = 500): Promise<ReapReport> {
  const report: ReapReport = { expiredBeforeDial: 0, poisoned: 0, lost: 0 };
  const { expired, lost } = await findLapsedLeases(database, now, limit);
  for (const id of expired) {
    const outcome = await retryDeadlock(() =>
      database.transaction(async (db) => {
        const lease = await lockLease(db, id);
        if (!lease || lease.ended_at != null || lease.state !== 'claimed' || lease.expires_at >= now) return undefined;
        const lapses = (await countLapsesBeforeDial(db, lease.call_task_id, lease.attempt)) + 1;
        if (lapses <= LAPSES_BEFORE_POISON) {
          await endLeases(db, [id], 'expired_before_dial', now);
          return { lease, poisoned: false };
        }
        await endLeases(db, [id], 'poisoned', now);
        await recordFailure(db, lease, now, 'poison: the call task was claimed and never dialled too often');
        return { lease, poisoned: true };
      }),
    ).catch(async (error) => {
      if (!isGone(error)) throw error;
      const lease = await endGone(database, id, 'cancelled', now);
      return lease && { lease, poisoned: false };
    });
    if (!outcome) continue;
    report.expiredBeforeDial++;
    if (outcome.poisoned) report.poisoned++;
    countEnded(outcome.lease, outcome.poisoned ? 'poisoned' : 'expired_before_dial');
  }
  for (const id of lost) {
    const lease = await retryDeadlock(() =>
      database.transaction(async (db) => {
        const lease = await lockLease(db, id);
        if (!lease || lease.ended_at != null || lease.deadline_at == null || lease.deadline_at >= now) return undefined;
        await endLeases(db, [id], 'lost', now);
        await updateLease(db, id, { result_status: 'SYSTEM_ERROR' });
        await recordFailure(db, lease, now, 'engine lost: no result before the call could have ended');
        return lease;
      }),
    ).catch((error) => (isGone(error) ? endGone(database, id, 'lost', now) : Promise.reject(error)));
    if (!lease) continue;
    report.lost++;
    countEnded(lease, 'lost');
    bump(engineCounters.outcomes, `${lease.phone_line_id ?? ''}|SYSTEM_ERROR`);
  }
  if (report.expiredBeforeDial > 0 || report.lost > 0) claimableWork.notify();
  return report;
}

/** A lease whose job (or task) was deleted: there is nothing to record; the lease just ends. */
const isGone = (error: unknown) => (error as { resultCode?: number }).resultCode === 404;

async function endGone(database: Database, id: string, reason: 'lost' | 'cancelled', now: number) {
  const [lease] = await endLeases(database, [id], reason, now);
  return lease;
}

/** SYSTEM_ERROR (外呼失败) for a lease, through the write path. */
async function recordFailure(db: Database, lease: CallLease, now: number, why: string): Promise<void> {
  await recordFinishedCalls(
    db,
    lease.tenant_id,
    [
      {
        idempotencyKey: `lease-${lease.id}`,
        robotCallJobId: lease.job_id,
        callTaskId: lease.call_task_id,
        calledPhoneNumber: lease.called_phone_number,
        phoneLineId: lease.phone_line_id,
        resultStatus: 'SYSTEM_ERROR',
        intentLevel: 'E',
        analysisBasis: why,
        startTime: lease.dialled_at ?? lease.claimed_at,
        endTime: now,
        chatDuration: 0,
        chatRound: 0,
        hangupBy: 'SYSTEM_HANGUP',
        attributes: [{ leaseId: lease.id, decidedBy: 'outcall', reason: why }],
        turns: [],
      },
    ],
    now,
  );
}

/**
 * Wakes waiting claims (the long-poll of /engine/v1/claim) when work may have become claimable in
 * this process: a lease ended, a result recorded, a job started or resumed (the scheduler calls
 * `notify`). Waiters re-check on a short timer anyway, for work another process made claimable.
 */
export class ClaimableWork {
  private readonly waiters = new Set<() => void>();

  notify(): void {
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const wake of woken) wake();
  }

  /** Resolves at the next `notify`, after `ms`, or when `signal` aborts — whichever comes first. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

export const claimableWork = new ClaimableWork();

/** How often a waiting claim looks again without being woken (work made claimable by another process, a window opening). */
export const CLAIM_RECHECK_MS = 500;

/**
 * A claim that waits up to `waitMs` for work (long-poll): it claims, and when nothing was
 * claimable it waits — holding no database connection — until woken or the re-check timer, then
 * claims again. Answers as soon as one task was claimed, or empty at the end.
 */
export async function claimWithWait(
  database: Database,
  engine: Engine,
  request: ClaimRequest & { waitMs: number },
  settings: LeaseSettings = DEFAULT_LEASE_SETTINGS,
  options: { signal?: AbortSignal; now?: () => number; recheckMs?: number } = {},
): Promise<ClaimAnswer> {
  const clock = options.now ?? Date.now;
  const until = clock() + request.waitMs;
  for (;;) {
    const answer = await claimCallTasks(database, engine, request, settings, clock());
    const left = until - clock();
    if (answer.tasks.length > 0 || left <= 0 || options.signal?.aborted) return answer;
    await claimableWork.wait(Math.min(left, options.recheckMs ?? CLAIM_RECHECK_MS), options.signal);
  }
}
