import type { TestProject } from 'vitest/node';
import { startRedisServer } from '../../src/redis/start-redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    /** Comma-separated seeds of the run's local Redis Cluster; '' outside the `cluster` project. */
    redisClusterNodes: string;
  }
}

/** One private redis-server for the whole run, on a free port in a temp dir: no shared state with a local Redis. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startRedisServer();
  project.provide('redisUrl', server.url);
  project.provide('redisClusterNodes', '');
  return async () => {
    await server.stop();
  };
}
