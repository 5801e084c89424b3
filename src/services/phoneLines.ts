import type { Database } from '../db/database.js';
import { PhoneType } from '../domain/enums.js';
import { invalidParameter, notFound } from '../domain/errors.js';
import { isMainlandMobile, normalizePhoneNumber } from '../domain/phone.js';
import {
  failuresReason,
  isSipUri,
  LINE_ENGINES,
  LINE_LIMITS,
  LINE_PHONE_TYPES,
  type LineEngine,
  SIP_CODECS,
  SIP_TRANSPORTS,
  type SipCodec,
  type SipTransport,
} from '../domain/phoneLine.js';
import { formatDateTime } from '../domain/time.js';
import {
  addLineFailure,
  countJobsOfLine,
  disableLineWithReason,
  findPhoneLine,
  findPhoneLineByNumber,
  insertPhoneLine,
  listPhoneLineRows,
  listUsableLinesOfJob,
  type PhoneLineChanges,
  resetLineFailures,
  updatePhoneLine,
} from '../repositories/phoneLines.js';
import { parseJson } from '../repositories/rows.js';
import type { PhoneLineChange, PhoneLineDetail } from '../schemas/later/phoneLines.js';
import { auditChangeOutsideRequest } from './auditLog.js';
import { decryptSecret, encryptSecret } from './secrets.js';

/*
 * A tenant's caller lines as resources (docs/lines.md): who dials each (`simulated` or
 * `external`), its limits, its SIP trunk and its health. The same rules serve the later API's
 * phone/ extensions, the console and `outcall line`; every refusal is a 412 naming the field.
 * A change made over HTTP is audited by the app's hook (http/audit.ts) like every changing
 * request; the CLI and outcall itself (a line disabled after failures) write their entries here.
 */

/** What a request sets; absent fields are left as they are, null clears what may be cleared. */
export interface PhoneLineInput {
  phoneNumber?: string;
  phoneType?: string;
  phoneName?: string | null;
  engine?: string;
  channels?: number | null;
  callsPerSecond?: number | null;
  ringTimeoutSeconds?: number;
  maxCallSeconds?: number;
  dailyCapPerNumber?: number | null;
  enabled?: boolean;
  sipUri?: string | null;
  sipUsername?: string | null;
  sipPassword?: string | null;
  sipTransport?: string;
  sipCodecs?: string[];
}

type LineRow = NonNullable<Awaited<ReturnType<typeof findPhoneLine>>>;

/** The context (additional authenticated data) of a line's SIP password. */
export const sipPasswordContext = (phoneLineId: number) => `phone_line.sip_password:${phoneLineId}`;

const L = LINE_LIMITS;

function integerIn(value: number, min: number, max: number, parameter: string): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw invalidParameter(parameter, `must be a whole number from ${min} to ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], parameter: string): T {
  const v = value.trim();
  const found = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
  if (!found) throw invalidParameter(parameter, `must be ${allowed.join(' or ')}, got "${value}"`);
  return found;
}

/** Text that may be cleared: null or blank → null. */
function clearable(value: string | null, max: number, parameter: string): string | null {
  const v = value?.trim() ?? '';
  if (v === '') return null;
  if (v.length > max) throw invalidParameter(parameter, `must be at most ${max} characters`);
  return v;
}

function phoneTypeOf(value: string): 'MOBILE' | 'LANDLINE' {
  const name = PhoneType.parse(value.trim()) ?? value;
  return oneOf(name, LINE_PHONE_TYPES, 'phoneType');
}

/** The number in its dialable form, of the line's type. */
function numberOf(raw: string, type: 'MOBILE' | 'LANDLINE'): string {
  const n = normalizePhoneNumber(raw);
  if (!n) throw invalidParameter('phoneNumber', `"${raw}" is not a mainland mobile or landline number`);
  if ((type === 'MOBILE') !== isMainlandMobile(n))
    throw invalidParameter(
      'phoneNumber',
      `"${raw}" is ${isMainlandMobile(n) ? 'a mobile' : 'a landline'} number, but the line's phoneType is ${type}`,
    );
  return n;
}

/** The columns the input sets (the number and type apart: they need the line's other one). */
function columnsOf(input: PhoneLineInput): PhoneLineChanges {
  const c: PhoneLineChanges = {};
  if (input.phoneName !== undefined) c.name = clearable(input.phoneName, L.nameLength, 'phoneName');
  if (input.engine !== undefined) c.engine = oneOf(input.engine, LINE_ENGINES, 'engine');
  if (input.channels !== undefined)
    c.concurrency_quota =
      input.channels === null ? null : integerIn(input.channels, L.channels.min, L.channels.max, 'channels');
  if (input.callsPerSecond !== undefined) {
    const cps = input.callsPerSecond;
    if (cps !== null && !(Number.isFinite(cps) && cps > 0 && cps <= L.callsPerSecond.max))
      throw invalidParameter('callsPerSecond', `must be more than 0 and at most ${L.callsPerSecond.max}, got ${cps}`);
    c.calls_per_second = cps;
  }
  if (input.ringTimeoutSeconds !== undefined)
    c.ring_timeout_seconds = integerIn(
      input.ringTimeoutSeconds,
      L.ringTimeoutSeconds.min,
      L.ringTimeoutSeconds.max,
      'ringTimeoutSeconds',
    );
  if (input.maxCallSeconds !== undefined)
    c.max_call_seconds = integerIn(input.maxCallSeconds, L.maxCallSeconds.min, L.maxCallSeconds.max, 'maxCallSeconds');
  if (input.dailyCapPerNumber !== undefined)
    c.daily_cap_per_number =
      input.dailyCapPerNumber === null
        ? null
        : integerIn(input.dailyCapPerNumber, L.dailyCapPerNumber.min, L.dailyCapPerNumber.max, 'dailyCapPerNumber');
  if (input.enabled !== undefined) c.enabled_status = input.enabled ? 1 : 0;
  if (input.sipUri !== undefined) {
    const uri = clearable(input.sipUri, L.sipUriLength, 'sipUri');
    if (uri !== null && !isSipUri(uri))
      throw invalidParameter('sipUri', `must be a sip: or sips: URI (e.g. sip:trunk.example.com:5060), got "${uri}"`);
    c.sip_uri = uri;
  }
  if (input.sipUsername !== undefined)
    c.sip_username = clearable(input.sipUsername, L.sipUsernameLength, 'sipUsername');
  if (input.sipTransport !== undefined) c.sip_transport = oneOf(input.sipTransport, SIP_TRANSPORTS, 'sipTransport');
  if (input.sipCodecs !== undefined) {
    const codecs = input.sipCodecs.map((codec, i) => oneOf(codec, SIP_CODECS, `sipCodecs[${i}]`));
    if (codecs.length === 0) throw invalidParameter('sipCodecs', `must name at least one of ${SIP_CODECS.join(', ')}`);
    if (new Set(codecs).size !== codecs.length) throw invalidParameter('sipCodecs', 'names a codec twice');
    c.sip_codecs = JSON.stringify(codecs);
  }
  return c;
}

/** The password as sent: null (cleared), a text, or undefined (left as it is). */
function passwordOf(input: PhoneLineInput): string | null | undefined {
  if (input.sipPassword === undefined) return undefined;
  if (input.sipPassword === null || input.sipPassword === '') return null;
  if (input.sipPassword.length > L.sipPasswordLength)
    throw invalidParameter('sipPassword', `must be at most ${L.sipPasswordLength} characters`);
  return input.sipPassword;
}

/** The API's field for each column, so a change names what the caller sent. */
const FIELD_OF: Record<string, string> = {
  phone_number: 'phoneNumber',
  phone_type: 'phoneType',
  name: 'phoneName',
  engine: 'engine',
  concurrency_quota: 'channels',
  calls_per_second: 'callsPerSecond',
  ring_timeout_seconds: 'ringTimeoutSeconds',
  max_call_seconds: 'maxCallSeconds',
  daily_cap_per_number: 'dailyCapPerNumber',
  enabled_status: 'enabled',
  sip_uri: 'sipUri',
  sip_username: 'sipUsername',
  sip_password: 'sipPassword',
  sip_transport: 'sipTransport',
  sip_codecs: 'sipCodecs',
};

export function lineDetail(row: LineRow, timeZone: string): PhoneLineDetail {
  return {
    phoneNumberId: row.id,
    phoneNumber: row.phone_number,
    phoneType: row.phone_type,
    phoneName: row.name,
    engine: row.engine,
    channels: row.concurrency_quota,
    callsPerSecond: row.calls_per_second === null ? null : Number(row.calls_per_second),
    ringTimeoutSeconds: row.ring_timeout_seconds,
    maxCallSeconds: row.max_call_seconds,
    dailyCapPerNumber: row.daily_cap_per_number,
    enabled: Number(row.enabled_status) === 1,
    disabledReason: row.disabled_reason,
    consecutiveFailures: row.consecutive_failures,
    highWaterMark: row.high_water_mark,
    sipUri: row.sip_uri,
    sipUsername: row.sip_username,
    hasSipPassword: row.sip_password !== null,
    sipTransport: row.sip_transport,
    sipCodecs: parseJson<string[]>(row.sip_codecs, []),
    creationTime: formatDateTime(Number(row.created_at), timeZone),
  };
}

interface Tenant {
  tenantId: number;
  timeZone: string;
}

async function ownLine(db: Database, tenantId: number, phoneLineId: number): Promise<LineRow> {
  const line = await findPhoneLine(db, tenantId, phoneLineId);
  if (!line) throw notFound('phoneNumberId', phoneLineId);
  return line;
}

async function checkNumberFree(db: Database, tenantId: number, phoneNumber: string, except?: number): Promise<void> {
  const other = await findPhoneLineByNumber(db, tenantId, phoneNumber);
  if (other && other.id !== except)
    throw invalidParameter('phoneNumber', `is already the number of the tenant's line ${other.id}`);
}

export async function listLines(db: Database, tenant: Tenant): Promise<PhoneLineDetail[]> {
  return (await listPhoneLineRows(db, tenant.tenantId)).map((r) => lineDetail(r, tenant.timeZone));
}

export async function getLine(db: Database, tenant: Tenant, phoneLineId: number): Promise<PhoneLineDetail> {
  return lineDetail(await ownLine(db, tenant.tenantId, phoneLineId), tenant.timeZone);
}

/** A new line: `external` unless said otherwise, enabled unless said otherwise. */
export async function addLine(
  db: Database,
  tenant: Tenant,
  input: PhoneLineInput,
  now = Date.now(),
): Promise<PhoneLineChange> {
  if (input.phoneNumber === undefined || input.phoneNumber.trim() === '')
    throw invalidParameter('phoneNumber', 'is required');
  const guess = normalizePhoneNumber(input.phoneNumber);
  const type =
    input.phoneType !== undefined
      ? phoneTypeOf(input.phoneType)
      : guess && isMainlandMobile(guess)
        ? 'MOBILE'
        : 'LANDLINE';
  const phoneNumber = numberOf(input.phoneNumber, type);
  const columns = columnsOf(input);
  const password = passwordOf(input);
  return db.transaction(async (trx) => {
    await checkNumberFree(trx, tenant.tenantId, phoneNumber);
    const id = await insertPhoneLine(trx, {
      engine: 'external',
      ...columns,
      tenant_id: tenant.tenantId,
      phone_number: phoneNumber,
      phone_type: type,
      name: columns.name ?? null,
      concurrency_quota: columns.concurrency_quota ?? null,
      created_at: now,
    });
    // The password's context names the row, so it is encrypted once the id is known.
    if (password)
      await updatePhoneLine(trx, tenant.tenantId, id, {
        sip_password: encryptSecret(password, sipPasswordContext(id)),
      });
    const changed = ['phoneNumber', 'phoneType', ...Object.keys(columns).map((c) => FIELD_OF[c]!)];
    if (password) changed.push('sipPassword');
    return { phoneLine: lineDetail(await ownLine(trx, tenant.tenantId, id), tenant.timeZone), changed };
  });
}

/** Whether a stored value equals the one asked for (numbers as numbers: PostgreSQL answers some as text). */
const same = (stored: unknown, asked: unknown) =>
  stored === asked || (stored !== null && asked !== null && typeof asked === 'number' && Number(stored) === asked);

/**
 * Changes what the input names. A field sent as it already is is no change: nothing is written for
 * it, and `changed` lists only what moved. Enabling a line clears why outcall disabled it and its
 * failures in a row.
 */
export async function setLine(
  db: Database,
  tenant: Tenant,
  phoneLineId: number,
  input: PhoneLineInput,
): Promise<PhoneLineChange> {
  if (input.phoneType !== undefined) phoneTypeOf(input.phoneType);
  const columns = columnsOf(input);
  const password = passwordOf(input);
  return db.transaction(async (trx) => {
    const line = await ownLine(trx, tenant.tenantId, phoneLineId);
    const wanted: PhoneLineChanges = { ...columns };
    if (input.phoneType !== undefined) wanted.phone_type = phoneTypeOf(input.phoneType);
    const type = (wanted.phone_type ?? line.phone_type) as 'MOBILE' | 'LANDLINE';
    if (input.phoneNumber !== undefined || wanted.phone_type !== undefined)
      wanted.phone_number = numberOf(input.phoneNumber ?? line.phone_number, type);
    const changes: PhoneLineChanges = {};
    for (const [column, value] of Object.entries(wanted))
      if (!same((line as Record<string, unknown>)[column], value)) (changes as Record<string, unknown>)[column] = value;
    if (changes.phone_type !== undefined && (await countJobsOfLine(trx, tenant.tenantId, line.id)) > 0)
      throw invalidParameter(
        'phoneType',
        'cannot change: jobs dial from this line (a job’s lines are of its phoneType)',
      );
    if (changes.phone_number !== undefined)
      await checkNumberFree(trx, tenant.tenantId, changes.phone_number as string, line.id);
    if (password !== undefined) {
      const current = line.sip_password === null ? null : decryptSecret(line.sip_password, sipPasswordContext(line.id));
      if (current !== password)
        changes.sip_password = password === null ? null : encryptSecret(password, sipPasswordContext(line.id));
    }
    if (changes.enabled_status === 1) {
      changes.disabled_reason = null;
      if (line.consecutive_failures !== 0) changes.consecutive_failures = 0;
    }
    if (changes.enabled_status === 0) changes.disabled_reason = null;
    const changed = Object.keys(changes)
      .map((c) => FIELD_OF[c])
      .filter((f): f is string => f !== undefined);
    if (Object.keys(changes).length > 0) await updatePhoneLine(trx, tenant.tenantId, line.id, changes);
    return { phoneLine: lineDetail(await ownLine(trx, tenant.tenantId, line.id), tenant.timeZone), changed };
  });
}

export const setLineEnabled = (db: Database, tenant: Tenant, phoneLineId: number, enabled: boolean) =>
  setLine(db, tenant, phoneLineId, { enabled });

/** The job's enabled lines with their engine and limits: what a claim and the scheduler dial within. */
export async function usableLinesOfJob(db: Database, tenantId: number, jobId: number) {
  return (await listUsableLinesOfJob(db, tenantId, jobId)).map((l) => ({
    phoneLineId: l.id,
    phoneNumber: l.phone_number,
    phoneType: l.phone_type,
    engine: l.engine as LineEngine,
    /** null: no limit of the line's own. */
    channels: l.concurrency_quota,
    callsPerSecond: l.calls_per_second === null ? null : Number(l.calls_per_second),
    ringTimeoutSeconds: l.ring_timeout_seconds,
    maxCallSeconds: l.max_call_seconds,
    dailyCapPerNumber: l.daily_cap_per_number,
    highWaterMark: l.high_water_mark,
  }));
}

/** A line's SIP trunk with its password in clear (for an engine's claim), or null when it has no sip_uri. */
export function trunkOf(line: {
  id: number;
  sip_uri: string | null;
  sip_username: string | null;
  sip_password: string | null;
  sip_transport: string;
  sip_codecs: string;
}): {
  sipUri: string;
  username: string | null;
  password: string | null;
  transport: SipTransport;
  codecs: SipCodec[];
} | null {
  if (line.sip_uri === null) return null;
  return {
    sipUri: line.sip_uri,
    username: line.sip_username,
    password: line.sip_password === null ? null : decryptSecret(line.sip_password, sipPasswordContext(line.id)),
    transport: line.sip_transport as SipTransport,
    codecs: parseJson<SipCodec[]>(line.sip_codecs, ['PCMA', 'PCMU']),
  };
}

// ---- health: lines that keep failing are disabled -----------------------------------------------

let linesDisabled = 0;

/** `/metrics`: lines outcall disabled after failures in a row, since the process started (http/probes.ts). */
export const lineMetrics = {
  prefix: 'outcall_lines',
  metrics: {
    disabled_total: {
      help: 'Caller lines disabled after LINE_FAILURE_LIMIT failures in a row',
      type: 'counter' as const,
    },
  },
  read: () => ({ disabled_total: linesDisabled }),
};

/**
 * One call's outcome on a line: a failure (FROM_PHONE_ERROR, CAN_NOT_CONNECT: the line, not the
 * customer) counts one more in a row; anything else resets the count (writing only when it is not
 * 0 already, so a healthy line's calls move no data version). At `limit` in a row the line is
 * disabled, with an audit entry, a log line and a metric. Returns whether this call disabled it.
 */
export async function noteLineOutcome(
  db: Database,
  tenantId: number,
  phoneLineId: number,
  failed: boolean,
  now: number,
  options: { limit: number; log: { warn(obj: object, msg: string): void } },
): Promise<boolean> {
  if (!failed) {
    await resetLineFailures(db, tenantId, phoneLineId);
    return false;
  }
  const line = await addLineFailure(db, tenantId, phoneLineId);
  if (!line || line.consecutive_failures < options.limit || Number(line.enabled_status) !== 1) return false;
  const reason = failuresReason(line.consecutive_failures);
  if (!(await disableLineWithReason(db, tenantId, phoneLineId, reason))) return false;
  linesDisabled++;
  await auditChangeOutsideRequest(db, {
    tenantId,
    actor: 'outcall',
    action: 'phone/autoDisable',
    resultMsg: `caller line ${phoneLineId} disabled: ${reason}`,
    summary: `phoneNumberId: ${phoneLineId}, consecutiveFailures: ${line.consecutive_failures}`,
    at: now,
  });
  options.log.warn(
    { tenantId, phoneLineId, consecutiveFailures: line.consecutive_failures },
    'caller line disabled: it kept failing',
  );
  return true;
}
