import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

/*
 * Vitest's global setup: before any test file runs, dist/ is rebuilt from the current sources,
 * since some tests run the built code in child processes (`dist/cli.js`, the write path of
 * src/services/callResults.concurrency.test.ts). The build is `npm run build`'s, incremental (its
 * state is kept in dist/.tsbuildinfo, so deleting dist/ forces a full build): after `npm ci`, whose
 * prepare script built dist/, it only checks that nothing changed. It fails the run when tsc does.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const ARGS = ['-p', 'tsconfig.build.json'];

function build(): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [tsc, ...ARGS], { cwd: root, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const output = `${stdout}${stderr}`.trim();
        return reject(
          new Error(`the build of dist/ for the tests failed (tsc ${ARGS.join(' ')}):\n${output || error.message}`),
        );
      }
      console.log(`dist/ rebuilt from the sources for the tests (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      resolve();
    });
  });
}

export default async function setup(project: TestProject): Promise<void> {
  // The projects (sqlite, postgres) inherit this file from the root config, whose own global setup
  // Vitest always runs, before any test: that one builds, once per run.
  if (!project.isRootProject()) return;
  await build();
  // In watch mode, again before each rerun.
  project.onTestsRerun(build);
}
