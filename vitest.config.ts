import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest's default is one worker per core but one; on two cores that runs the files one after
    // another, while most of them wait on processes and sockets (a stand-in, a store, a bot, a
    // browser). Two workers on two cores took the suite from about 370 s to about 205 s, three
    // runs in a row green; bigger machines keep the default.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // The JSON report is what .ci/run counts for its closing "N passed, N failed" line.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    env: { MONGOMS_RUNTIME_DOWNLOAD: 'false', BAOMI_LOG_LEVEL: 'silent' },
  },
});
