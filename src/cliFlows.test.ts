import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantFixture } from '../test/fixtures.js';
import { startTestServer, type TestServer } from '../test/harness.js';
import { DEMO_DIALOG_FLOWS } from './demo/dialogFlows.js';
import { findDialogFlowVersion } from './repositories/dialogFlows.js';

/* `outcall flow …` (the built CLI, rebuilt before the tests), run as an operator would, against a real database. */

let server: TestServer;
let tenant: TenantFixture;
let dir: string;

function outcall(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/cli.js', ...args], {
      env: { ...process.env, DATABASE_URL: server.databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await TenantFixture.create(server.database);
  dir = mkdtempSync(join(tmpdir(), 'outcall-flows-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await server.close();
});

describe('outcall flow', () => {
  it('imports a flow file, lists it, imports a new version, exports either version', async () => {
    const sign = ['--tenant-sign', tenant.credentials.tenantSign];
    const file = join(dir, 'english.json');
    const script = DEMO_DIALOG_FLOWS[2]!.script;
    writeFileSync(
      file,
      JSON.stringify({ name: '英语邀约', industry: 'EDUCATION', subIndustry: 'ADMISSION', flow: script }),
    );
    const imported = await outcall('flow', 'import', file, ...sign);
    expect(imported.status, imported.stderr).toBe(0);
    const [, id] = /dialog flow (\d+) version 1/.exec(imported.stdout)!;

    const listed = await outcall('flow', 'list', ...sign);
    expect(listed.stdout).toMatch(new RegExp(`${id}  v1  enabled   英语邀约`));

    writeFileSync(file, JSON.stringify({ flow: { ...script, maxTurns: 6 } }));
    const next = await outcall('flow', 'import', file, '--id', id!, ...sign);
    expect(next.stdout).toContain(`dialog flow ${id} version 2`);

    const exported = await outcall('flow', 'export', id!, ...sign);
    expect(exported.status, exported.stderr).toBe(0);
    // In the format's order on both databases (PostgreSQL's jsonb keeps keys in an order of its own).
    expect(exported.stdout).toBe(
      `${JSON.stringify(
        {
          name: '英语邀约',
          industry: 'EDUCATION',
          subIndustry: 'ADMISSION',
          dialogFlowId: Number(id),
          version: 2,
          flow: { ...script, maxTurns: 6 },
        },
        null,
        2,
      )}\n`,
    );
    const out = join(dir, 'v1.json');
    expect((await outcall('flow', 'export', id!, '--version', '1', out, ...sign)).status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ version: 1, flow: script });

    // What was exported is what is stored.
    expect((await findDialogFlowVersion(server.database, tenant.tenantId, Number(id), 1))!.definition).toEqual(script);
  });

  it('refuses a flow with a problem, naming its path inside the flow; nothing is made', async () => {
    const file = join(dir, 'bad.json');
    const bad = structuredClone(DEMO_DIALOG_FLOWS[0]!.script) as any;
    bad.questions[2].keywords = '交通';
    writeFileSync(file, JSON.stringify({ name: '坏话术', flow: bad }));
    const r = await outcall('flow', 'import', file, '--tenant-sign', tenant.credentials.tenantSign);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('flow.questions[2].keywords must be array');
    const flows = await server.database.db.selectFrom('dialog_flow').select('name').execute();
    expect(flows.map((f) => f.name)).not.toContain('坏话术');
  });
});
