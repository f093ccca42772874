import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * Paths pino replaces with "[redacted]" wherever they appear in a log object. Code also never logs raw
 * webhook URLs (see bitrix/redact.ts); this list is the second line of defence.
 */
export const REDACT_PATHS = [
  'accessToken',
  'refreshToken',
  'clientSecret',
  'auth',
  'token',
  'password',
  'secret',
  'webhookUrl',
  '*.accessToken',
  '*.refreshToken',
  '*.clientSecret',
  '*.auth',
  '*.token',
  '*.webhookUrl',
  '*.secret',
  // An IFRAME app's HASH signs its iframe (docs/bitrix24.md, "What the server checks on register").
  'HASH',
  '*.HASH',
  '*.*.HASH',
  '*.*.accessToken',
  '*.*.refreshToken',
  '*.*.auth',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

export interface LoggerOptions {
  readonly level: string;
  readonly name?: string;
  /** Where lines go; stderr by default so a command's stdout (JSON, CSV) stays clean. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name ?? 'imbot-rollout',
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}
