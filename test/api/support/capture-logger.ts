import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';

/** A pino logger at trace level that keeps every line in memory, to check what the API logs. */
export function captureLogger(): { logger: Logger; lines: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines: () => chunks.join('') };
}
