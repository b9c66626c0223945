import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Files that start real processes — a bot killed and restarted, `npm ci` and the build, the sandbox
 * with Chromium: each one alone, after the others, so no two of them compete for the cores (their
 * waits are bounded, and a browser starved by a parallel `npm ci` missed one).
 */
const ALONE = [
  'test/e2e/approval-browser.test.ts',
  'test/e2e/sandbox-browser.test.ts',
  'test/sandbox/web/chat-page.test.ts',
  'test/e2e/main-process.test.ts',
  'test/e2e/crash-process.test.ts',
  'test/e2e/crash-reminders.test.ts',
  'test/e2e/sigterm.test.ts',
  'test/ops/dockerfile-steps.test.ts',
  'test/ops/doctor.test.ts',
  'test/scheduler/cadence-processes.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // The JSON report is what .ci/run counts for its closing "N passed, N failed" line.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    env: { MONGOMS_RUNTIME_DOWNLOAD: 'false', BAOMI_LOG_LEVEL: 'silent' },
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: ALONE,
          // Vitest's default is one worker per core but one; on two cores that runs the files one
          // after another, while most of them wait on sockets (a stand-in, a store, a bot). Two
          // workers on two cores: about 370 s → about 205 s for the whole suite.
          maxWorkers: Math.max(2, availableParallelism() - 1),
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'processes',
          include: ALONE,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
