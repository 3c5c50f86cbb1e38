import { defineConfig } from 'vitest/config';

// Two projects: `unit` (logic, loopback servers and real child processes, no hub) and `integration`
// (real JupyterHub, real apps, real browser). No retries: a flaky test is a bug.
export default defineConfig({
  test: {
    retry: 0,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
