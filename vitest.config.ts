import { defineConfig } from 'vitest/config';

/**
 * Two projects, both run by `npm test` (`vitest run`):
 * - `single`: every suite against one private redis-server (test/support/global-setup.ts);
 * - `cluster`: the suites whose code talks to Redis the most (store, tokens, rate limit, pipeline, wave plans,
 *   install events) and test/cluster, against a local 3-master Redis Cluster the cluster setup starts
 *   (test/support/global-setup-cluster.ts); the harness (test/support/redis.ts) hands out Cluster connections.
 *   `npm run test:cluster` runs it alone.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Drops the user's REDIS_URL, ROLLOUT_* and the like from each test process (test/support/child-env.ts).
    setupFiles: ['test/support/forget-user-config.ts'],
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'single',
          include: ['test/**/*.test.ts'],
          exclude: ['test/cluster/**', 'node_modules/**'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'cluster',
          include: [
            'test/cluster/**/*.test.ts',
            'test/store/**/*.test.ts',
            'test/tokens/**/*.test.ts',
            'test/ratelimit/**/*.test.ts',
            'test/pipeline/**/*.test.ts',
            // Wave plans: their scripts and the controller's CAS on a Cluster (demo-waves runs the one-node demo).
            'test/waves/wave-plan-control.test.ts',
            'test/waves/wave-plan-halt-resume.test.ts',
            'test/waves/wave-plans-side-by-side.test.ts',
            // Install events: portal-store writes per portal tag, the event markers under {g}.
            'test/intake/install-event.test.ts',
            'test/intake/uninstall-event.test.ts',
          ],
          exclude: [
            'node_modules/**',
            // Single-server by design: a TCP proxy in front of one redis-server drops or holds replies.
            'test/tokens/refresh-lock-resend.test.ts',
            'test/store/portal-store-resend.test.ts',
            'test/store/pipeline-abort.test.ts',
            'test/pipeline/worker-stop.test.ts',
          ],
          globalSetup: ['test/support/global-setup-cluster.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
