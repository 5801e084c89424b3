import type { App } from '../app.js';
import type { ConsoleDeps } from './auth.js';
import { registerConsoleJobs } from './jobs.js';
import { registerConsoleSession } from './session.js';
import { registerConsoleSettings } from './settings.js';
import { registerConsoleStatic } from './static.js';

/** The console: its JSON endpoints under /console/api/ (docs/console.md) and its pages under /console. */
export function registerConsole(app: App, deps: ConsoleDeps & { staticDir?: string }): void {
  app.decorateRequest('consoleUser', undefined);
  registerConsoleSession(app, deps);
  registerConsoleJobs(app, deps);
  registerConsoleSettings(app, deps);
  registerConsoleStatic(app, deps.staticDir);
}
