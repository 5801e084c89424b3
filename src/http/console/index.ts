import { passwordChecks } from '../../services/consoleUsers.js';
import type { App } from '../app.js';
import type { ConsoleDeps } from './auth.js';
import { registerConsoleFlows } from './flows.js';
import { registerConsoleJobs } from './jobs.js';
import { registerConsoleSession } from './session.js';
import { registerConsoleSettings } from './settings.js';
import { registerConsoleStatic } from './static.js';

/** The console: its JSON endpoints under /console/api/ (docs/console.md) and its pages under /console. */
export function registerConsole(app: App, deps: ConsoleDeps & { staticDir?: string }): void {
  app.decorateRequest('consoleUser', undefined);
  app.metrics?.addSource({
    prefix: 'outcall_console',
    metrics: {
      password_checks_total: {
        help: 'Console passwords checked with scrypt (sign-ins and password changes)',
        type: 'counter',
      },
    },
    read: () => ({ password_checks_total: passwordChecks() }),
  });
  registerConsoleSession(app, deps);
  registerConsoleJobs(app, deps);
  registerConsoleFlows(app, deps);
  registerConsoleSettings(app, deps);
  registerConsoleStatic(app, deps.staticDir);
}
