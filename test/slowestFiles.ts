import type { Reporter, TestModule } from 'vitest/node';

/*
 * A reporter that ends every run with its ten slowest test files, per database pass: where CI's
 * time goes, to be read before it grows (import, hooks and tests together, as a file costs).
 */
export default class SlowestFiles implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const files = testModules.map((m) => {
      const d = m.diagnostic();
      return {
        file: m.relativeModuleId,
        pass: m.project.name,
        ms: d.environmentSetupDuration + d.prepareDuration + d.collectDuration + d.setupDuration + d.duration,
      };
    });
    if (files.length < 2) return;
    files.sort((a, b) => b.ms - a.ms);
    const lines = files
      .slice(0, 10)
      .map((f) => `${(f.ms / 1000).toFixed(1).padStart(7)} s  ${f.file}${f.pass ? ` (${f.pass})` : ''}`);
    console.log(`\nThe ten slowest test files:\n${lines.join('\n')}\n`);
  }
}
