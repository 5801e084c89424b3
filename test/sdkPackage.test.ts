import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from './fixtures.js';
import { startTestServer, type TestServer } from './harness.js';

/*
 * The SDK as an integrator gets it: packed by `npm pack` in packages/sdk (which builds it), installed
 * from the tarball into an empty folder outside the repository, then run there against a real
 * server and type-checked there with nothing but the tarball installed.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const sdk = join(root, 'packages', 'sdk');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment without what npm sets for the script that started the tests (its prefix, its config). */
const integrator = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== 'INIT_CWD'),
);

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env: { ...integrator, ...env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

let work: string;
let consumer: string;
let packed: { filename: string; size: number; files: { path: string }[] };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'outcall-sdk-'));
  const pack = await run('npm', ['pack', '--json', '--pack-destination', work], sdk);
  expect(pack.code, pack.stderr).toBe(0);
  packed = JSON.parse(pack.stdout)[0];
  consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), `${JSON.stringify({ name: 'crm', private: true, type: 'module' })}\n`);
  // Zero dependencies: nothing to fetch, so --offline must do.
  const install = await run(
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', join(work, packed.filename)],
    consumer,
  );
  expect(install.code, install.stderr).toBe(0);
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the SDK package', () => {
  it('packs the bundle, its types and its README only, at the server’s version', () => {
    expect(packed.files.map((f) => f.path).sort()).toEqual([
      'LICENSE',
      'README.md',
      'dist/index.d.ts',
      'dist/index.js',
      'package.json',
    ]);
    const own = JSON.parse(readFileSync(join(sdk, 'package.json'), 'utf8'));
    const server = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(own.version).toBe(server.version);
    expect(own.dependencies ?? {}).toEqual({});
    expect(packed.filename).toBe(`outcall-sdk-${own.version}.tgz`);
  });

  it('installs into an empty folder alone: nothing of the server comes along', () => {
    expect(readdirSync(join(consumer, 'node_modules')).filter((n) => n !== '.package-lock.json')).toEqual(['@outcall']);
    expect(readdirSync(join(consumer, 'node_modules', '@outcall'))).toEqual(['sdk']);
  });

  describe('against a real server', () => {
    let server: TestServer;
    let tenant: TenantFixture;
    beforeAll(async () => {
      server = await startTestServer();
      tenant = await TenantFixture.create(server.database);
      await tenant.job({ name: 'SDK包任务', status: 'IN_PROCESS' });
    });
    afterAll(async () => {
      await server?.close();
    });

    it('signs requests (v1 and v2) from the installed package and gets 200', async () => {
      writeFileSync(
        join(consumer, 'use.mjs'),
        `import { OutcallClient, OutcallError, verifyCallback } from '@outcall/sdk';
const options = JSON.parse(process.env.OUTCALL);
const answers = [];
for (const signatureVersion of ['v1', 'v2']) {
  const client = new OutcallClient({ ...options, signatureVersion, retries: 0 });
  const envelope = await client.send('GET', '/apiOpen/v1/task/getTasks');
  const jobs = [];
  for await (const job of client.tasks()) jobs.push(job.name);
  answers.push({ signatureVersion, code: envelope.code, jobs });
}
const wrong = new OutcallClient({ ...options, appSecret: 'not the secret', retries: 0 });
const refused = await wrong.getTasks().catch((error) => error instanceof OutcallError && error.code);
console.log(JSON.stringify({ answers, refused, verifyCallback: typeof verifyCallback }));
`,
      );
      const { appKey, appSecret, tenantSign } = tenant.credentials;
      const result = await run(process.execPath, ['use.mjs'], consumer, {
        OUTCALL: JSON.stringify({ baseUrl: server.url, appKey, appSecret, tenantSign }),
      });
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual({
        answers: [
          { signatureVersion: 'v1', code: 200, jobs: ['SDK包任务'] },
          { signatureVersion: 'v2', code: 200, jobs: ['SDK包任务'] },
        ],
        refused: 401,
        verifyCallback: 'function',
      });
    });
  });

  it('type-checks a consumer with only the tarball installed; a misspelled filter does not compile', async () => {
    // The SDK's declarations are checked too (no skipLibCheck), with no @types at all.
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022', 'DOM'],
          types: [],
        },
        include: ['*.ts'],
      }),
    );
    writeFileSync(
      join(consumer, 'good.ts'),
      `import { type CallRecordsFilter, type IntentLevel, OutcallClient, OutcallError } from '@outcall/sdk';
const client = new OutcallClient({ baseUrl: 'http://127.0.0.1:8060', appKey: 'k', appSecret: 's', tenantSign: 't' });
const filter: CallRecordsFilter = { robotCallJobId: 2, resultStatuses: ['ANSWERED'], intentLevels: ['A'] };
export async function answered(): Promise<string[]> {
  const lines: string[] = [];
  try {
    for await (const call of client.callRecords(filter)) {
      const level: IntentLevel = call.intentLevel;
      for (const turn of call.callDetailList) lines.push(\`\${level} \${turn.type === 'ROBOT' ? 'robot' : 'person'}: \${turn.text}\`);
    }
  } catch (error) {
    if (error instanceof OutcallError) lines.push(\`\${error.code} \${error.resultMsg}\`);
  }
  const page = await client.job.getJobs({ pageSize: 10 });
  lines.push(...page.content.map((job) => job.name));
  return lines;
}
`,
    );
    writeFileSync(
      join(consumer, 'bad.ts'),
      `import { type CallRecordsFilter, CallRecordResource } from '@outcall/sdk';
export const filter: CallRecordsFilter = { robotCallJobId: 2, resultStatuses: ['ANSWERD'] };
export const notAValue = CallRecordResource;
`,
    );
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], consumer);
    const errors = result.stdout.split('\n').filter((line) => line.includes('error TS'));
    expect(result.code).not.toBe(0);
    // Both mistakes are caught, and nothing else: good.ts and the SDK's declarations check clean.
    expect(errors, result.stdout).toHaveLength(2);
    expect(errors[0]).toMatch(/^bad\.ts\(2,\d+\): error TS\d+: Type '"ANSWERD"' is not assignable/);
    expect(errors[1]).toMatch(/^bad\.ts\(3,\d+\): error TS1362: 'CallRecordResource' cannot be used as a value/);
  });
});
