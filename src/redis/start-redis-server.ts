import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface RedisServerOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  readonly port?: number;
  /** Keep an append-only file so a restart keeps the data (default false). */
  readonly appendOnly?: boolean;
  /**
   * With appendOnly: when Redis syncs the file (default 'always'). 'everysec' can lose writes Redis already
   * confirmed when it is killed (the chaos suite saw results and in-flight markers vanish that way).
   */
  readonly appendFsync?: 'always' | 'everysec';
  /** Data directory; a fresh temp dir by default (removed on stop unless given). */
  readonly dir?: string;
  readonly binary?: string;
  /** More `redis-server` arguments (e.g. `--cluster-enabled yes`: start-redis-cluster.ts). */
  readonly extraArgs?: readonly string[];
}

export interface RedisServerHandle {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Stops the server (SIGTERM, then SIGKILL) and removes the temp dir it made. */
  stop(): Promise<void>;
  /** Kills the server abruptly and starts it again on the same port and dir. */
  restart(): Promise<void>;
}

export async function findFreePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not find a free port'));
      });
    });
  });
}

async function waitUntilReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch (error) {
      lastError = error;
    } finally {
      client.disconnect();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not become ready in ${timeoutMs} ms`, { cause: lastError });
}

/** Starts a private `redis-server` (tests, the demo). Needs the `redis-server` binary on PATH. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const port = options.port && options.port > 0 ? options.port : await findFreePort();
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'imbot-rollout-redis-')));
  const url = `redis://127.0.0.1:${port}`;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendOnly ? 'yes' : 'no',
    '--appendfsync',
    options.appendFsync ?? 'always',
    '--maxmemory-policy',
    'noeviction',
    '--daemonize',
    'no',
    '--logfile',
    '',
    '--loglevel',
    'warning',
    ...(options.extraArgs ?? []),
  ];
  let child: ChildProcess;
  const launch = async (): Promise<void> => {
    child = spawn(options.binary ?? 'redis-server', args, { stdio: 'ignore' });
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (error) =>
        reject(
          new Error(
            `could not start redis-server (${error.message}); install it (apt-get install -y redis-server) or set REDIS_URL`,
          ),
        ),
      );
    });
    await spawned;
    await waitUntilReady(url, child, 10_000);
  };
  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  await launch();
  return {
    url,
    port,
    dir,
    async stop() {
      await kill('SIGTERM');
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
    async restart() {
      await kill('SIGKILL');
      await launch();
    },
  };
}
