import type { Command } from 'commander';
import type { Database } from './db/database.js';
import { createEngineKey, deleteEngineKey, listEngineKeys, setEngineKeyEnabled } from './services/engineKeys.js';

/** `outcall engine …`: what call engines need from the operator (docs/engine-keys.md). Returns the `engine` group, for its other commands. */

const iso = (ms: number | null) => (ms === null ? 'never' : new Date(ms).toISOString());

export function registerEngineCommands(
  program: Command,
  withDatabase: <T>(work: (database: Database) => Promise<T>) => Promise<T>,
  tenantOf: (database: Database, opts: { tenantSign?: string; tenantId?: string }) => Promise<{ id: number }>,
  fail: (message: string) => Error,
): Command {
  const engine = program.command('engine').description('call engines: their keys (docs/engine-keys.md)');
  const key = engine.command('key').description('engine keys: the credentials engines sign /engine/v1/ requests with');

  key
    .command('create')
    .description('create an engine key for every tenant, or for one (the appSecret is shown only here)')
    .requiredOption('--name <name>', 'what the engine is, e.g. "freeswitch-1" (1–100 characters)')
    .option('--tenant-id <id>', 'the key works for this tenant only, by id')
    .option('--tenant-sign <sign>', 'the key works for this tenant only, by tenantSign')
    .option('--json', 'print only one JSON line: {"appKey","appSecret","name","tenantId"}')
    .action(async (opts: { name: string; tenantId?: string; tenantSign?: string; json?: boolean }) => {
      if (opts.tenantId && opts.tenantSign) throw fail('name the tenant with --tenant-id or --tenant-sign, not both');
      const created = await withDatabase(async (d) => {
        const tenantId = opts.tenantId || opts.tenantSign ? (await tenantOf(d, opts)).id : null;
        return createEngineKey(d, { name: opts.name, tenantId });
      });
      const scope = created.tenantId === null ? 'every tenant' : `tenant ${created.tenantId} only`;
      const note = `created engine key "${created.name}" for ${scope}; keep the appSecret: it is shown only here`;
      if (opts.json) {
        // Only the JSON line on standard output, for `> engine.json` or `| jq`; the note goes to standard error.
        console.error(note);
        console.log(JSON.stringify(created));
      } else console.log(`${note}\nappKey ${created.appKey}\nappSecret ${created.appSecret}`);
    });

  key
    .command('list')
    .description('list engine keys (secrets are not shown)')
    .option('--json', 'print the keys as one JSON array')
    .action(async (opts: { json?: boolean }) => {
      const keys = await withDatabase((d) => listEngineKeys(d));
      if (opts.json) return console.log(JSON.stringify(keys));
      for (const k of keys) {
        const scope = k.tenantId === null ? 'every tenant' : `tenant ${k.tenantId} ${k.tenantSign} (${k.tenantName})`;
        console.log(
          `${k.appKey}  ${k.enabled ? 'enabled ' : 'disabled'}  ${JSON.stringify(k.name)}  ${scope}  created ${iso(k.createdAt)}  last seen ${iso(k.lastSeenAt)}`,
        );
      }
      if (keys.length === 0) console.log('no engine keys');
    });

  for (const [name, enabled] of [
    ['disable', false],
    ['enable', true],
  ] as const) {
    key
      .command(`${name} <appKey>`)
      .description(
        enabled ? 'allow a disabled engine key again' : 'refuse every request signed with this engine key (403)',
      )
      .action(async (appKey: string) => {
        if (!(await withDatabase((d) => setEngineKeyEnabled(d, appKey, enabled))))
          throw fail(`no engine key ${appKey}`);
        console.log(`${appKey} ${enabled ? 'enabled' : 'disabled'}`);
      });
  }

  key
    .command('delete <appKey>')
    .description('delete an engine key: requests signed with it are refused from now on (401)')
    .action(async (appKey: string) => {
      if (!(await withDatabase((d) => deleteEngineKey(d, appKey)))) throw fail(`no engine key ${appKey}`);
      console.log(`${appKey} deleted`);
    });

  return engine;
}
