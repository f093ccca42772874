import type { z } from 'zod';
import { type CliProcess, spawnCli } from './run-cli.js';

/** A fixture process with an IPC channel, started by forkFixture. */
export interface FixtureProcess extends CliProcess {
  /** Sends `message` over the IPC channel (the child's `process.on('message')`). */
  send(message: unknown): void;
  /**
   * The next message `schema` accepts (others are skipped); rejects, with the process's output, when the process
   * exits first or nothing came in `timeoutMs`.
   */
  nextMessage<T>(schema: z.ZodType<T>, timeoutMs: number): Promise<T>;
}

/**
 * Starts `entry` (a .ts fixture, through tsx) as its own OS process with an IPC channel, as `fork` does, for a
 * test or benchmark that talks to it in messages. spawnCli starts it: childEnv plus `env`, its output captured,
 * `stop` is SIGTERM then SIGKILL.
 */
export function forkFixture(entry: string, env: Record<string, string> = {}): FixtureProcess {
  const cli = spawnCli([], env, { entry, ipc: true });
  const { child } = cli;
  const nextMessage = <T>(schema: z.ZodType<T>, timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (done: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.off('message', onMessage);
        done();
      };
      const onMessage = (raw: unknown) => {
        const parsed = schema.safeParse(raw);
        if (parsed.success) settle(() => resolve(parsed.data));
      };
      const timer = setTimeout(
        () =>
          settle(() =>
            reject(
              new Error(`${entry} (pid ${cli.pid}) did not answer in ${timeoutMs} ms:\n${cli.output()}`),
            ),
          ),
        timeoutMs,
      );
      child.on('message', onMessage);
      void cli.exited.then(({ code, signal }) =>
        settle(() =>
          reject(
            new Error(
              `${entry} (pid ${cli.pid}) exited (${code ?? signal}) before answering:\n${cli.output()}`,
            ),
          ),
        ),
      );
    });
  return {
    ...cli,
    send: (message) => {
      child.send(message as Parameters<typeof child.send>[0]);
    },
    nextMessage,
  };
}
