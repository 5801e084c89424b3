import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { type Command, InvalidArgumentError } from 'commander';

/*
 * `outcall engine sip`: runs the SIP engine (docs/sip-engine.md) until SIGTERM/SIGINT. Its modules
 * load only when it runs (every CLI command starts the CLI, most never call).
 */

interface SipCommandOptions {
  credentials: string;
  baseUrl?: string;
  lines?: number[];
  channels: number;
  cps: number;
  sipAddress: string;
  sipPort: number;
  contactAddress?: string;
  dataDir: string;
  announcementRefresh: number;
}

const positive = (name: string, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > max)
    throw new InvalidArgumentError(`${name} must be a number in (0, ${max}]`);
  return n;
};

const lineIds = (value: string) => {
  const ids = value.split(',').map((part) => Number(part.trim()));
  if (ids.some((id) => !Number.isSafeInteger(id) || id <= 0)) {
    throw new InvalidArgumentError('--lines must be caller line ids separated by commas, e.g. 3,4');
  }
  return ids;
};

/** The first non-internal IPv4 address of this machine, else 127.0.0.1. */
function outwardAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return '127.0.0.1';
}

export function registerSipEngineCommand(engine: Command): void {
  engine
    .command('sip')
    .description("dial external lines' call tasks through their SIP trunks (docs/sip-engine.md); runs until SIGTERM")
    .requiredOption('-c, --credentials <file>', "an engine key's file: {appKey, appSecret[, baseUrl]}")
    .option('--base-url <url>', "outcall's address (default: the file's baseUrl, else http://127.0.0.1:8060)")
    .option('--lines <ids>', 'serve only these caller lines (default: every external line the key may dial)', lineIds)
    .option('--channels <n>', 'calls at once, at most', positive('--channels', 1000), 50)
    .option('--cps <n>', 'new calls per second, at most', positive('--cps', 1000), 10)
    .option('--sip-address <address>', 'the local address for SIP and RTP', '0.0.0.0')
    .option('--sip-port <port>', 'the local SIP port (UDP and TCP)', positive('--sip-port', 65535), 5070)
    .option('--contact-address <address>', 'the address the trunk reaches this engine at (default: this machine’s)')
    .option('--data-dir <dir>', 'where speech is cached (tts/)', 'data')
    .option(
      '--announcement-refresh <seconds>',
      'how often the tenants’ announcement clips are loaded again',
      positive('--announcement-refresh', 86_400),
      300,
    )
    .action(async (opts: SipCommandOptions) => {
      let credentials: { appKey: string; appSecret: string; baseUrl?: string };
      try {
        credentials = JSON.parse(readFileSync(opts.credentials, 'utf8'));
      } catch (error) {
        throw new InvalidArgumentError(
          `cannot read the engine key from ${opts.credentials}: ${(error as Error).message}`,
        );
      }
      const [{ EngineClient }, { SipEngine }, { SipUserAgent }, { defaultLibrary }] = await Promise.all([
        import('../../client/engine.js'),
        import('./engine.js'),
        import('./userAgent.js'),
        import('./announcements.js'),
      ]);
      const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
      const contactAddress =
        opts.contactAddress ?? (opts.sipAddress === '0.0.0.0' ? outwardAddress() : opts.sipAddress);
      const agent = await SipUserAgent.start({ address: opts.sipAddress, port: opts.sipPort, contactAddress });
      const sipEngine = new SipEngine({
        api: new EngineClient({
          baseUrl: opts.baseUrl ?? credentials.baseUrl ?? 'http://127.0.0.1:8060',
          appKey: credentials.appKey,
          appSecret: credentials.appSecret,
        }),
        agent,
        dataDir: opts.dataDir,
        ...(opts.lines ? { lines: opts.lines } : {}),
        channels: opts.channels,
        callsPerSecond: opts.cps,
        library: await defaultLibrary(opts.dataDir),
        announcementRefreshMs: opts.announcementRefresh * 1000,
        log,
      });
      const stop = () => {
        log('stopping: no new claims; releasing undialled tasks; ending calls in progress');
        void sipEngine.stop(10_000);
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      log(
        `sip engine on ${opts.sipAddress}:${opts.sipPort} (contact ${contactAddress}), ${opts.channels} channels, ${opts.cps} calls/s`,
      );
      await sipEngine.run();
      agent.close();
      const { calls, answered, bySipCode } = sipEngine.counters;
      log(
        `stopped: ${calls} calls, ${answered} answered, by SIP code ${JSON.stringify(Object.fromEntries(bySipCode))}`,
      );
    });
}
