/**
 * Child process for spawnForeignCaller (foreign-caller.ts): another application on the portal. Protocol (IPC):
 * child sends `{ type: 'ready' }`; parent sends `{ type: 'start', options }`; child answers
 * `{ type: 'stats', stats }` when done and exits.
 */
import { type ForeignCallerOptions, startForeignCaller } from './foreign-caller.js';

process.on('message', (raw: unknown) => {
  if (typeof raw !== 'object' || raw === null || Reflect.get(raw, 'type') !== 'start') return;
  const options = Reflect.get(raw, 'options') as ForeignCallerOptions;
  startForeignCaller(options)
    .done()
    .then(
      (stats) => process.send?.({ type: 'stats', stats }, () => process.disconnect()),
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
        process.disconnect();
      },
    );
});

process.send?.({ type: 'ready' });
