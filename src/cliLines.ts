import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { readStdin } from './cliUsers.js';
import type { Database } from './db/database.js';
import type { PhoneLineChange, PhoneLineDetail } from './schemas/later/phoneLines.js';
import { auditChangeOutsideRequest } from './services/auditLog.js';
import { addLine, listLines, type PhoneLineInput, setLine, setLineEnabled } from './services/phoneLines.js';
import { setTenantTimeZone } from './services/tenants.js';

/** `outcall line …` (a tenant's caller lines, docs/lines.md) and `outcall tenant set` (its time zone). */

type Tenant = { id: number; tenant_sign: string; time_zone: string };

export interface LineCommandDeps {
  /** `outcall tenant`, which `set` is added to. */
  tenant: Command;
  withDatabase: <T>(work: (database: Database) => Promise<T>) => Promise<T>;
  tenantOf: (database: Database, opts: { tenantSign?: string; tenantId?: string }) => Promise<Tenant>;
  fail: (message: string) => Error;
}

interface LineOptions {
  tenantSign?: string;
  tenantId?: string;
  phoneNumber?: string;
  phoneType?: string;
  name?: string;
  engine?: string;
  channels?: string;
  callsPerSecond?: string;
  ringTimeout?: string;
  maxCall?: string;
  dailyCap?: string;
  disabled?: boolean;
  sipUri?: string;
  sipUsername?: string;
  sipPassword?: string;
  sipPasswordStdin?: boolean;
  sipPasswordFile?: string;
  clearSipPassword?: boolean;
  sipTransport?: string;
  sipCodecs?: string;
  json?: boolean;
}

/** A number as typed; the service says what is wrong with it, naming the field. */
const numberOf = (text: string | undefined) => (text === undefined ? undefined : Number(text));
/** A limit: a number, or `none` for no limit. */
const limitOf = (text: string | undefined) =>
  text === undefined ? undefined : text.trim().toLowerCase() === 'none' ? null : Number(text);

function lineOptions(c: Command, adding: boolean): Command {
  c.option('--tenant-sign <sign>', 'the tenant, by tenantSign').option('--tenant-id <id>', 'the tenant, by id');
  if (adding) c.requiredOption('--phone-number <number>', 'the caller number (mobile or landline)');
  else c.option('--phone-number <number>', 'a new caller number (of the line’s type)');
  return c
    .option('--phone-type <type>', 'MOBILE or LANDLINE (default on add: what the number is)')
    .option('--name <name>', 'a name for the line ("" clears it)')
    .option('--engine <engine>', 'simulated (the built-in simulator) or external (engines; the default on add)')
    .option('--channels <n>', 'calls at once on the line, across the tenant’s jobs; none: no limit')
    .option('--calls-per-second <x>', 'new calls per second, more than 0 (e.g. 0.5); none: no limit')
    .option('--ring-timeout <seconds>', 'seconds a call may ring (5–300, default 60)')
    .option('--max-call <seconds>', 'the longest a call may last (10–14400, default 600)')
    .option('--daily-cap <n>', 'calls to one number from this line per tenant-local day; none: no cap')
    .option('--sip-uri <uri>', 'the SIP trunk, sip: or sips: ("" clears it)')
    .option('--sip-username <name>', 'the trunk’s user name ("" clears it)')
    .option('--sip-password-stdin', 'read the trunk’s password from standard input')
    .option('--sip-password-file <file>', 'read the trunk’s password from a file')
    .option('--sip-transport <transport>', 'udp (default) or tcp')
    .option('--sip-codecs <list>', 'PCMA, PCMU or both, comma-separated, in order of preference')
    .option('--json', 'print the line as JSON')
    .addOption(new Option('--sip-password <password>').hideHelp());
}

async function passwordOf(opts: LineOptions, fail: (message: string) => Error): Promise<string | null | undefined> {
  // Refused: a password on the command line is shown to anyone who can list processes (ps, /proc).
  if (opts.sipPassword !== undefined)
    throw fail(
      '--sip-password is refused: a password on the command line is visible to every user of the machine (ps). Give it with --sip-password-stdin or --sip-password-file FILE',
    );
  const given = [opts.sipPasswordStdin, opts.sipPasswordFile !== undefined, opts.clearSipPassword].filter(Boolean);
  if (given.length > 1)
    throw fail('give the trunk password one way: --sip-password-stdin, --sip-password-file or --clear-sip-password');
  if (opts.clearSipPassword) return null;
  if (opts.sipPasswordStdin) return readStdin();
  if (opts.sipPasswordFile !== undefined) {
    try {
      return readFileSync(opts.sipPasswordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw fail(`cannot read --sip-password-file ${opts.sipPasswordFile}: ${(error as NodeJS.ErrnoException).code}`);
    }
  }
  return undefined;
}

async function inputOf(opts: LineOptions, fail: (message: string) => Error): Promise<PhoneLineInput> {
  const input: PhoneLineInput = {
    phoneNumber: opts.phoneNumber,
    phoneType: opts.phoneType,
    phoneName: opts.name,
    engine: opts.engine,
    channels: limitOf(opts.channels),
    callsPerSecond: limitOf(opts.callsPerSecond),
    ringTimeoutSeconds: numberOf(opts.ringTimeout),
    maxCallSeconds: numberOf(opts.maxCall),
    dailyCapPerNumber: limitOf(opts.dailyCap),
    enabled: opts.disabled ? false : undefined,
    sipUri: opts.sipUri,
    sipUsername: opts.sipUsername,
    sipPassword: await passwordOf(opts, fail),
    sipTransport: opts.sipTransport,
    sipCodecs: opts.sipCodecs?.split(',').map((c) => c.trim()),
  };
  for (const key of Object.keys(input) as (keyof PhoneLineInput)[]) if (input[key] === undefined) delete input[key];
  return input;
}

const limitText = (n: number | null, unit = '') => (n === null ? 'no limit' : `${n}${unit}`);

/** One line, as a person reads it. */
function describeLine(l: PhoneLineDetail): string {
  const state = l.enabled ? 'enabled' : `DISABLED${l.disabledReason ? ` (${l.disabledReason})` : ''}`;
  return [
    `line ${l.phoneNumberId}  ${l.phoneNumber}  ${l.phoneType}  ${l.phoneName ?? '-'}  ${l.engine}  ${state}`,
    `  channels ${limitText(l.channels)}, calls/s ${limitText(l.callsPerSecond)}, ring ${l.ringTimeoutSeconds} s, max call ${l.maxCallSeconds} s, daily cap per number ${limitText(l.dailyCapPerNumber)}`,
    `  high-water mark ${l.highWaterMark}, failures in a row ${l.consecutiveFailures}${l.sipUri ? `, trunk ${l.sipUri} ${l.sipTransport} ${l.sipCodecs.join('/')}${l.sipUsername ? ` user ${l.sipUsername}` : ''}${l.hasSipPassword ? ' (password set)' : ''}` : ''}`,
  ].join('\n');
}

export function registerLineCommands(program: Command, deps: LineCommandDeps): void {
  const { withDatabase, tenantOf, fail } = deps;
  const line = program.command('line').description("a tenant's caller lines: who dials them, their limits and trunk");

  /** Runs a change for the tenant, audited as the CLI's, and prints the line. */
  const change = async (
    opts: LineOptions,
    action: string,
    work: (d: Database, tenant: { tenantId: number; timeZone: string }) => Promise<PhoneLineChange>,
  ) => {
    const out = await withDatabase(async (d) => {
      const t = await tenantOf(d, opts);
      const r = await work(d, { tenantId: t.id, timeZone: t.time_zone });
      if (r.changed.length > 0)
        await auditChangeOutsideRequest(d, {
          tenantId: t.id,
          actor: 'cli',
          action,
          resultMsg: `caller line ${r.phoneLine.phoneNumberId}: ${action.slice(5)}`,
          summary: `phoneNumberId: ${r.phoneLine.phoneNumberId}; changed ${r.changed.join(', ')}`,
          at: Date.now(),
        });
      return r;
    });
    if (opts.json) return console.log(JSON.stringify(out));
    console.log(describeLine(out.phoneLine));
    console.log(out.changed.length > 0 ? `changed: ${out.changed.join(', ')}` : 'nothing changed');
  };

  lineOptions(line.command('add'), true)
    .description('add a caller line (external unless --engine simulated)')
    .option('--disabled', 'add it disabled')
    .action(async (opts: LineOptions) => {
      const input = await inputOf(opts, fail);
      await change(opts, 'line/add', (d, t) => addLine(d, t, input));
    });

  line
    .command('list')
    .description("the tenant's caller lines (trunk passwords are never shown)")
    .option('--tenant-sign <sign>', 'the tenant, by tenantSign')
    .option('--tenant-id <id>', 'the tenant, by id')
    .option('--json', 'print the lines as JSON')
    .action(async (opts: { tenantSign?: string; tenantId?: string; json?: boolean }) => {
      const lines = await withDatabase(async (d) => {
        const t = await tenantOf(d, opts);
        return listLines(d, { tenantId: t.id, timeZone: t.time_zone });
      });
      if (opts.json) return console.log(JSON.stringify(lines));
      for (const l of lines) console.log(describeLine(l));
      if (lines.length === 0) console.log('no lines');
    });

  lineOptions(line.command('set <phoneLineId>'), false)
    .description('change a caller line: only the options given (the same value again is no change)')
    .option('--clear-sip-password', 'remove the trunk password')
    .action(async (id: string, opts: LineOptions) => {
      const input = await inputOf(opts, fail);
      await change(opts, 'line/set', (d, t) => setLine(d, t, lineId(id, fail), input));
    });

  for (const [name, enabled] of [
    ['disable', false],
    ['enable', true],
  ] as const)
    line
      .command(`${name} <phoneLineId>`)
      .description(
        enabled
          ? 'let jobs dial from the line again (clears why outcall disabled it)'
          : 'jobs no longer dial from the line',
      )
      .option('--tenant-sign <sign>', 'the tenant, by tenantSign')
      .option('--tenant-id <id>', 'the tenant, by id')
      .option('--json', 'print the line as JSON')
      .action(async (id: string, opts: LineOptions) => {
        await change(opts, `line/${name}`, (d, t) => setLineEnabled(d, t, lineId(id, fail), enabled));
      });

  deps.tenant
    .command('set')
    .description("change a tenant's settings: its time zone (past statistics stay on the days they were counted)")
    .option('--tenant-sign <sign>', 'the tenant, by tenantSign')
    .option('--tenant-id <id>', 'the tenant, by id')
    .requiredOption('--time-zone <zone>', 'IANA time zone, e.g. Asia/Shanghai or Europe/Berlin')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { tenantSign?: string; tenantId?: string; timeZone: string; json?: boolean }) => {
      const out = await withDatabase(async (d) => {
        const t = await tenantOf(d, opts);
        return { tenantId: t.id, ...(await setTenantTimeZone(d, t.id, opts.timeZone, { audit: 'cli' })) };
      });
      if (opts.json) return console.log(JSON.stringify(out));
      console.log(
        out.changed
          ? `tenant ${out.tenantId}: time zone ${out.timeZone} from now on (past days of the statistics stay as counted)`
          : `tenant ${out.tenantId}: time zone is ${out.timeZone} already`,
      );
    });
}

function lineId(text: string, fail: (message: string) => Error): number {
  if (!/^\d{1,15}$/.test(text)) throw fail(`the line id must be a number, got "${text}"`);
  return Number(text);
}
