#!/usr/bin/env node
// Starts outcall's test carrier: SIPp running carrier.xml at one address, answering each call by
// the dialled number's last four digits (README.md beside this file). Needs `sipp`, `espeak-ng`
// and `sox` on the PATH (Debian: sip-tester espeak-ng sox).
//
//   node examples/carrier/start.mjs [--host 127.0.0.1] [--port 5080] [--media-port P+2]
//        [--control-port P+1] [--user outcall] [--password secret] [--dir <work folder>]
//
// Settings may also come from CARRIER_HOST, CARRIER_PORT, CARRIER_MEDIA_PORT, CARRIER_CONTROL_PORT,
// CARRIER_USER, CARRIER_PASSWORD, CARRIER_DIR. The carrier uses UDP ports P (SIP), P+1 (SIPp's
// control socket), and the media port M and M+2. It prints one line when it listens, then runs
// until SIGINT/SIGTERM. The announcements are made here at start, never committed.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    host: { type: 'string', default: process.env.CARRIER_HOST ?? '127.0.0.1' },
    port: { type: 'string', default: process.env.CARRIER_PORT ?? '5080' },
    'media-port': { type: 'string', default: process.env.CARRIER_MEDIA_PORT },
    'control-port': { type: 'string', default: process.env.CARRIER_CONTROL_PORT },
    user: { type: 'string', default: process.env.CARRIER_USER ?? 'outcall' },
    password: { type: 'string', default: process.env.CARRIER_PASSWORD ?? 'secret' },
    dir: { type: 'string', default: process.env.CARRIER_DIR },
  },
});
const port = Number(values.port);
const mediaPort = Number(values['media-port'] ?? port + 2);
const controlPort = Number(values['control-port'] ?? port + 1);
for (const [name, value] of [
  ['port', port],
  ['media-port', mediaPort],
  ['control-port', controlPort],
]) {
  if (!Number.isInteger(value) || value < 1 || value > 65533) {
    console.error(`carrier: --${name} must be a UDP port number`);
    process.exit(2);
  }
}
const dir = values.dir ?? join(tmpdir(), `outcall-carrier-${port}`);
mkdirSync(dir, { recursive: true });

// The announcements a carrier plays as early media, and China's ringback tone (450 Hz, 1 s on,
// 4 s off), as raw 8 kHz A-law: SIPp's rtp_stream sends the file's bytes as they are.
const announcements = {
  vacant_number: '您拨打的号码是空号，请查证后再拨。',
  power_off: '您拨打的电话已关机。',
  out_of_service: '您拨打的电话已停机。',
};
for (const [name, text] of Object.entries(announcements)) {
  const file = join(dir, `${name}.al`);
  if (existsSync(file)) continue;
  const wav = execFileSync('espeak-ng', ['-v', 'cmn', '--stdout', text]);
  execFileSync('sox', ['-t', 'wav', '-', '-r', '8000', '-c', '1', '-t', 'al', file], { input: wav });
}
if (!existsSync(join(dir, 'ringback.al'))) {
  execFileSync('sox', [
    '-n',
    '-r',
    '8000',
    '-c',
    '1',
    '-t',
    'al',
    join(dir, 'ringback.al'),
    'synth',
    '1',
    'sine',
    '450',
    'pad',
    '0',
    '4',
    'repeat',
    '1',
  ]);
}

// SIPp checks a digest only in an Authorization header (401); a carrier challenges an INVITE with
// 407 and Proxy-Authorization. So the right answers are computed here, for every number
// 138xxxx0407 and the request URIs a caller may use, and the scenario compares the one it gets.
const realm = 'outcall.test';
const nonce = 'outcall-test-carrier';
const md5 = (text) => createHash('md5').update(text).digest('hex');
const ha1 = md5(`${values.user}:${realm}:${values.password}`);
const hostPort = `${values.host}:${port}`;
const rows = ['SEQUENTIAL'];
for (let middle = 0; middle < 10000; middle++) {
  const number = `138${String(middle).padStart(4, '0')}0407`;
  const uris = [`sip:${number}@${hostPort}`];
  if (port === 5060) uris.push(`sip:${number}@${values.host}`);
  for (const uri of uris) rows.push(`${uri};${md5(`${ha1}:${nonce}:${md5(`INVITE:${uri}`)}`)}`);
}
writeFileSync(join(dir, 'digests.csv'), `${rows.join('\n')}\n`);

const logFile = join(dir, 'outcomes.log');
writeFileSync(logFile, '');
const sipp = spawn(
  'sipp',
  [
    '-sf',
    join(here, 'carrier.xml'),
    '-i',
    values.host,
    '-p',
    String(port),
    '-bind_local',
    '-mi',
    values.host,
    '-mp',
    String(mediaPort),
    '-ci',
    values.host,
    '-cp',
    String(controlPort),
    '-inf',
    'digests.csv',
    '-infindex',
    'digests.csv',
    '0',
    '-trace_logs',
    '-log_file',
    logFile,
    // SIPp's own count of every message of the scenario, each second: carrier_<pid>_counts.csv.
    '-trace_counts',
    '-fd',
    '1',
    '-trace_err',
    '-error_file',
    join(dir, 'errors.log'),
    '-nostdin',
    '-nd',
  ],
  // SIPp's screen is not wanted; its complaints (timeouts the scenario expects among them) go to a file.
  { cwd: dir, stdio: ['ignore', 'ignore', openSync(join(dir, 'sipp.stderr'), 'w')] },
);
sipp.on('error', (error) => {
  console.error(`carrier: cannot start sipp (${error.message}); install Debian's sip-tester`);
  process.exit(1);
});
sipp.on('exit', (code, signal) => {
  if (!signal && code !== 0 && code !== 99) {
    console.error(
      `carrier: sipp exited with code ${code}:\n${readFileSync(join(dir, 'sipp.stderr'), 'utf8').slice(-2000)}`,
    );
  }
  process.exit(signal ? 0 : code === 99 ? 0 : (code ?? 1));
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => sipp.kill('SIGTERM'));

// Ready when SIPp's SIP socket is bound (read from the kernel's table, so no probe disturbs it).
const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
const started = Date.now();
const timer = setInterval(() => {
  const bound = readFileSync('/proc/net/udp', 'utf8').includes(`:${hexPort} 00000000:0000`);
  if (bound) {
    clearInterval(timer);
    console.log(`carrier listening on sip:${hostPort} (udp), user ${values.user}, log ${logFile}`);
  } else if (Date.now() - started > 10000) {
    clearInterval(timer);
    console.error('carrier: sipp did not bind its port within 10 s');
    sipp.kill('SIGTERM');
  }
}, 50);
