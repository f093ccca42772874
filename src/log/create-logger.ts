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
  /**
   * Where lines go; stderr by default so a command's stdout (JSON, CSV) stays clean. A terminal (`isTTY`) gets
   * each line after an erase of the current line (see terminalLines).
   */
  readonly destination?: DestinationStream & { readonly isTTY?: boolean };
}

/** Carriage return and "erase the line" (ECMA-48 EL 2): what the progress bar is redrawn with. */
const ERASE_LINE = '\r\x1b[2K';

/**
 * On a terminal the progress bar (ops/progress-reporter.ts) is one line redrawn in place, without a line end: a
 * log line written meanwhile was glued to the bar and then overdrawn by it. Each log line therefore first erases
 * the bar's line and takes it; the next progress update draws the bar again below. Written synchronously, in the
 * order of the bar's own writes (pino's default asynchronous writer delivered lines later, between redraws).
 */
function terminalLines(stream: DestinationStream): DestinationStream {
  return { write: (line: string) => stream.write(`${ERASE_LINE}${line}`) };
}

export function createLogger(options: LoggerOptions): Logger {
  const destination: DestinationStream & { readonly isTTY?: boolean } =
    options.destination ??
    (process.stderr.isTTY
      ? Object.assign(pino.destination({ fd: 2, sync: true }), { isTTY: true })
      : pino.destination({ fd: 2, sync: false }));
  return pino(
    {
      name: options.name ?? 'imbot-rollout',
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination.isTTY ? terminalLines(destination) : destination,
  );
}
