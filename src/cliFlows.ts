import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Database } from './db/database.js';
import { createDialogFlow, type FlowOwner, getDialogFlowDetail, updateDialogFlow } from './services/dialogFlows.js';
import { getDialogFlowList } from './services/tenantInfo.js';

/*
 * `outcall flow …`: a tenant's dialog flows as files (docs/dialog-flows.md). A flow file is
 * `{ "name", "industry", "subIndustry", "flow": { … } }` — what `export` writes and `import` reads
 * (its dialogFlowId and version, when present, say where it came from and are not read). Import
 * checks the flow as the API does: a problem is named by its path inside the flow.
 */

interface TenantOptions {
  tenantSign?: string;
  tenantId?: string;
}

type TenantOf = (database: Database, opts: TenantOptions) => Promise<{ id: number; time_zone: string }>;

const ownerOf = (t: { id: number; time_zone: string }): FlowOwner & { appKey: string } => ({
  tenantId: t.id,
  timeZone: t.time_zone,
  appKey: '',
});

function positiveInteger(value: string, option: string, fail: (message: string) => Error): number {
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1)
    throw fail(`${option} must be a positive integer, got "${value}"`);
  return Number(value);
}

export function registerFlowCommands(
  program: Command,
  withDatabase: <T>(work: (database: Database) => Promise<T>) => Promise<T>,
  tenantOf: TenantOf,
  fail: (message: string) => Error,
): void {
  const flow = program
    .command('flow')
    .description("a tenant's dialog flows (话术) as JSON files: import, export, list");
  const tenantOptions = (c: Command) =>
    c.option('--tenant-sign <sign>', 'the tenant, by tenantSign').option('--tenant-id <id>', 'the tenant, by id');

  tenantOptions(flow.command('import <file>'))
    .description('a new flow from a flow file, or with --id a new version of an existing flow')
    .option('--id <dialogFlowId>', 'make the file a new version of this flow (its name is kept unless --name)')
    .option('--name <name>', 'the flow’s name (default: the file’s "name")')
    .action(async (file: string, opts: TenantOptions & { id?: string; name?: string }) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        throw fail(`${file} is not a readable JSON file: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !('flow' in parsed))
        throw fail(
          `${file} is not a flow file: it must be an object with "flow" (what \`outcall flow export\` writes)`,
        );
      const content = parsed as { name?: unknown; industry?: unknown; subIndustry?: unknown; flow: unknown };
      const id = opts.id === undefined ? undefined : positiveInteger(opts.id, '--id', fail);
      const name = opts.name ?? (typeof content.name === 'string' ? content.name : undefined);
      const made = await withDatabase(async (d) => {
        const owner = ownerOf(await tenantOf(d, opts));
        if (id !== undefined)
          return updateDialogFlow(d, owner, {
            dialogFlowId: id,
            flow: content.flow as never,
            ...(opts.name === undefined ? {} : { name: opts.name }),
          });
        if (name === undefined) throw fail(`${file} has no "name": give one with --name`);
        return createDialogFlow(d, owner, {
          name,
          flow: content.flow as never,
          ...(typeof content.industry === 'string' ? { industry: content.industry } : {}),
          ...(typeof content.subIndustry === 'string' ? { subIndustry: content.subIndustry } : {}),
        });
      });
      console.log(`dialog flow ${made.dialogFlowId} version ${made.version}`);
    });

  tenantOptions(flow.command('export <dialogFlowId> [file]'))
    .description('write a flow (its current version, or --version) as a flow file, or to standard output')
    .option('--version <version>', 'the version to export (default: the current one)')
    .action(async (idText: string, file: string | undefined, opts: TenantOptions & { version?: string }) => {
      const dialogFlowId = positiveInteger(idText, 'dialogFlowId', fail);
      const version = opts.version === undefined ? undefined : positiveInteger(opts.version, '--version', fail);
      const detail = await withDatabase(async (d) =>
        getDialogFlowDetail(d, ownerOf(await tenantOf(d, opts)), {
          dialogFlowId,
          ...(version === undefined ? {} : { version }),
        }),
      );
      const text = `${JSON.stringify(
        {
          name: detail.name,
          industry: detail.industry,
          subIndustry: detail.subIndustry,
          dialogFlowId: detail.dialogFlowId,
          version: detail.version,
          flow: detail.flow,
        },
        null,
        2,
      )}\n`;
      if (file === undefined) process.stdout.write(text);
      else {
        writeFileSync(file, text);
        console.error(`wrote dialog flow ${detail.dialogFlowId} version ${detail.version} to ${file}`);
      }
    });

  tenantOptions(flow.command('list'))
    .description('the tenant’s flows: id, current version, enabled, name')
    .action(async (opts: TenantOptions) => {
      const flows = await withDatabase(async (d) => getDialogFlowList(d, ownerOf(await tenantOf(d, opts))));
      for (const f of flows)
        console.log(`${f.dialogFlowId}  v${f.version}  ${f.enabled ? 'enabled ' : 'disabled'}  ${f.name}`);
      if (flows.length === 0) console.log('no dialog flows');
    });
}
