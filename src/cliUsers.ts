import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { loadConfig } from './config.js';
import type { Database } from './db/database.js';
import {
  CONSOLE_ROLES,
  createConsoleUser,
  listUsers,
  MIN_PASSWORD_LENGTH,
  resetPassword,
  setUserEnabled,
} from './services/consoleUsers.js';

/** `outcall user …`: the console's users (docs/console.md). */

/** All of standard input, without the line break that ends it. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Asks on the terminal without echoing what is typed. */
function ask(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput.bind(rl);
    let asked = false;
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (!asked) {
        asked = true;
        write(s);
      }
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

/** The new password: from standard input with --password-stdin, else asked twice on the terminal. */
export async function newPassword(fromStdin: boolean | undefined, fail: (message: string) => Error): Promise<string> {
  if (fromStdin) return readStdin();
  if (!process.stdin.isTTY) throw fail('no terminal to ask the password on: pipe it in with --password-stdin');
  const first = await ask(`password (at least ${MIN_PASSWORD_LENGTH} characters): `);
  const second = await ask('the same password again: ');
  if (first !== second) throw fail('the two passwords differ');
  return first;
}

export function registerUserCommands(
  program: Command,
  withDatabase: <T>(work: (database: Database) => Promise<T>) => Promise<T>,
  tenantOf: (database: Database, opts: { tenantSign?: string; tenantId?: string }) => Promise<{ id: number }>,
  fail: (message: string) => Error,
): void {
  const user = program.command('user').description('console users: who may sign in at /console');
  user
    .command('create')
    .description('create a console user of a tenant (the password is asked, or read with --password-stdin)')
    .option('--tenant-sign <sign>', 'the tenant, by tenantSign')
    .option('--tenant-id <id>', 'the tenant, by id')
    .requiredOption('--username <name>', 'unique across the installation: 2–64 letters, digits, _ . @ -')
    .option('--role <role>', `${CONSOLE_ROLES.join(' or ')} (admins also manage keys and settings)`, 'member')
    .option('--password-stdin', 'read the password from standard input')
    .action(
      async (opts: {
        tenantSign?: string;
        tenantId?: string;
        username: string;
        role: string;
        passwordStdin?: boolean;
      }) => {
        const password = await newPassword(opts.passwordStdin, fail);
        const created = await withDatabase(async (d) => {
          const t = await tenantOf(d, opts);
          return createConsoleUser(
            d,
            { tenantId: t.id, username: opts.username, password, role: opts.role },
            { log2N: loadConfig().consolePasswordCost },
          );
        });
        console.log(`created ${created.role} ${created.username} of tenant ${created.tenantId}`);
      },
    );
  user
    .command('list')
    .description('list console users')
    .option('--tenant-sign <sign>', 'only this tenant')
    .option('--tenant-id <id>', 'only this tenant')
    .action(async (opts: { tenantSign?: string; tenantId?: string }) => {
      const users = await withDatabase(async (d) =>
        listUsers(d, opts.tenantSign || opts.tenantId ? (await tenantOf(d, opts)).id : undefined),
      );
      for (const u of users)
        console.log(
          `${u.username}  ${u.role.padEnd(6)}  ${u.enabled ? 'enabled ' : 'disabled'}  tenant ${u.tenant_id} ${u.tenant_sign}  created ${new Date(Number(u.created_at)).toISOString()}`,
        );
      if (users.length === 0) console.log('no users');
    });
  for (const [name, enabled] of [
    ['disable', false],
    ['enable', true],
  ] as const) {
    user
      .command(`${name} <username>`)
      .description(enabled ? 'let a disabled user sign in again' : 'refuse the user’s sign-ins and end their sessions')
      .action(async (username: string) => {
        await withDatabase((d) => setUserEnabled(d, username, enabled));
        console.log(`${username} ${enabled ? 'enabled' : 'disabled'}`);
      });
  }
  user
    .command('reset-password <username>')
    .description('set a new password (asked, or read with --password-stdin); the user’s sessions end')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (username: string, opts: { passwordStdin?: boolean }) => {
      const password = await newPassword(opts.passwordStdin, fail);
      await withDatabase((d) => resetPassword(d, username, password, { log2N: loadConfig().consolePasswordCost }));
      console.log(`${username}: password changed; their sessions have ended`);
    });
}
