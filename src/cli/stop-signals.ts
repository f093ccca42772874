import type { Logger } from 'pino';

/** Exit code of a process ended by a second signal: 128 + the signal's number (the shell's convention). */
const FORCED_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

export interface StopSignals {
  /** Resolves with the first SIGTERM/SIGINT (at once if one came before). */
  readonly received: Promise<NodeJS.Signals>;
  /** Stops listening (after a clean stop). */
  dispose(): void;
}

/**
 * The one shutdown rule of the long-running commands (`worker`, `serve`): listening starts at once, so a signal
 * that comes while the command is still starting is not lost (it stops right after the start-up); the first
 * SIGTERM/SIGINT asks for a graceful stop (finish the calls in flight), a second one forces the exit.
 */
export function listenForStopSignals(logger: Logger, what: string): StopSignals {
  let first: NodeJS.Signals | undefined;
  let resolveReceived: (signal: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => {
    resolveReceived = resolve;
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (first === undefined) {
      first = signal;
      logger.info({ signal }, `${what} stopping: finishing the work in flight (signal again to force)`);
      process.stderr.write(`${what}: stopping gracefully; send ${signal} again to stop at once\n`);
      resolveReceived(signal);
      return;
    }
    logger.warn({ signal }, `${what} forced to stop`);
    process.stderr.write(`${what}: forced to stop\n`);
    process.exit(FORCED_EXIT[signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM']);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    received,
    dispose() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
