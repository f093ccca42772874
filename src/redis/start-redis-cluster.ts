import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { findFreePort, type RedisServerHandle, startRedisServer } from './start-redis-server.js';

const run = promisify(execFile);

export interface RedisClusterHandle {
  /** `127.0.0.1:<port>` of each master: REDIS_CLUSTER_NODES. */
  readonly seeds: readonly string[];
  readonly nodes: readonly RedisServerHandle[];
  /**
   * Kills node `index` (SIGKILL) and starts it again on the same port and data dir: it reloads its AOF and
   * nodes.conf and takes its slots back. Resolves once the cluster says `cluster_state:ok` again.
   */
  restartNode(index: number): Promise<void>;
  /** Index in `nodes` of the master serving `key`'s slot. */
  nodeServing(key: string): Promise<number>;
  /** Stops every node and removes the temp dir. */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** Masters (default 3: the smallest Redis Cluster `redis-cli --cluster create` accepts), no replicas. */
  readonly masters?: number;
  readonly timeoutMs?: number;
  /**
   * Keep an append-only file, fsynced on every write (default true), so `restartNode` loses no acknowledged
   * write. False for a cluster that is never restarted (the test variant's shared one): fsyncs slow it down.
   */
  readonly durable?: boolean;
}

async function clusterState(port: number): Promise<string | undefined> {
  const client = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const info = String(await client.cluster('INFO'));
    return /^cluster_state:(\w+)/m.exec(info)?.[1];
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

async function waitClusterOk(ports: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(ports.map(clusterState));
    if (states.every((state) => state === 'ok')) return;
    if (Date.now() > deadline) {
      throw new Error(`Redis Cluster not ok within ${timeoutMs} ms: ${states.map(String).join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A local Redis Cluster for tests and the chaos suite: `masters` redis-servers with `--cluster-enabled yes`
 * on free ports in a temp dir (AOF fsynced always unless `durable: false`), joined with
 * `redis-cli --cluster create ... --cluster-replicas 0`. Needs `redis-server` and `redis-cli` on PATH.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const root = await mkdtemp(join(tmpdir(), 'imbot-rollout-cluster-'));
  const nodes: RedisServerHandle[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      const dir = join(root, `node-${i}`);
      await mkdir(dir);
      nodes.push(
        await startRedisServer({
          port: await findFreePort(),
          dir,
          appendOnly: options.durable ?? true,
          extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
        }),
      );
    }
    const seeds = nodes.map((node) => `127.0.0.1:${node.port}`);
    await run('redis-cli', ['--cluster', 'create', ...seeds, '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: timeoutMs,
    }).catch((error: unknown) => {
      throw new Error(
        `redis-cli --cluster create failed (${error instanceof Error ? error.message : String(error)}); ` +
          'install redis-tools / redis-server (apt-get install -y redis-server)',
      );
    });
    const ports = nodes.map((node) => node.port);
    await waitClusterOk(ports, timeoutMs);
    return {
      seeds,
      nodes,
      async restartNode(index) {
        const node = nodes[index];
        if (node === undefined) throw new RangeError(`no node ${index} (of ${nodes.length})`);
        await node.restart();
        await waitClusterOk(ports, timeoutMs);
      },
      async nodeServing(key) {
        const admin = new Redis(nodes[0]?.port ?? 0, '127.0.0.1', { maxRetriesPerRequest: 1 });
        try {
          const slot = Number(await admin.cluster('KEYSLOT', key));
          const ranges = await admin.cluster('SLOTS');
          const range = ranges.find(([from, to]) => slot >= from && slot <= to);
          const index = nodes.findIndex((node) => node.port === range?.[2]?.[1]);
          if (index < 0) throw new Error(`no node serves slot ${slot}`);
          return index;
        } finally {
          admin.disconnect();
        }
      },
      async stop() {
        await Promise.all(nodes.map((node) => node.stop()));
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop().catch(() => undefined)));
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
