import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/*
 * The order test files start in. Vitest starts the files that took longest last time first, but
 * without its cache of durations (node_modules/.vite, absent in CI's fresh clone) it starts the
 * largest files first, and a file that is slow for its size (its work is done by child processes or
 * a helper module) would start near the end and hold the run alone while the other workers sit
 * idle. These files start first, slowest first (by a full run's figures, as test/slowestFiles.ts prints
 * them); the others follow in Vitest's order. A slow file missing here shows in that list.
 */
const SLOW_FIRST = [
  'src/http/randomInput.test.ts', // 5000 random requests; the work is in test/randomInput.ts
  'src/cli.secrets.test.ts',
  'src/http/rateLimit.test.ts',
  'src/server.shutdown.test.ts',
  'src/startup.test.ts',
  'test/sdkPackage.test.ts',
  'test/examplesEngine.test.ts',
  'src/db/migrate.test.ts',
  'src/cliLines.test.ts',
  'src/cliEngine.test.ts',
  'src/cli.test.ts',
  'src/cliUsers.test.ts',
];

export default class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    // Each database pass's files together, as Vitest has them: a worker goes on to a file of its
    // own pass without a new process (vitest.config.ts, isolate).
    const passes = [...new Set(sorted.map((spec) => spec.project.name))];
    const key = (spec: TestSpecification) => {
      const rank = SLOW_FIRST.indexOf(relative(spec.project.config.root, spec.moduleId));
      return rank === -1 ? Number.MAX_SAFE_INTEGER : passes.indexOf(spec.project.name) * SLOW_FIRST.length + rank;
    };
    // Array.prototype.sort is stable: the other files stay in Vitest's order.
    return sorted.sort((a, b) => key(a) - key(b));
  }
}
