/**
 * Exit codes of the CLI (docs/operations.md, "Exit codes"): 1 the command could not do what was asked, 2 wrong usage,
 * configuration or input, 3 a service the command needs (Redis) cannot be reached.
 */
export const EXIT_CODES = { failed: 1, usage: 2, unavailable: 3 } as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** Every operator-facing error code, with the exit code the CLI ends with (src/cli/describe-failure.ts). */
export const OPERATOR_ERROR_EXIT_CODES = {
  USAGE: EXIT_CODES.usage,
  CONFIG_INVALID: EXIT_CODES.usage,
  INPUT_INVALID: EXIT_CODES.usage,
  UNKNOWN_KEY_IDS: EXIT_CODES.usage,
  UNSAFE_BIND: EXIT_CODES.usage,
  PLAN_STALE: EXIT_CODES.usage,
  REDIS_UNAVAILABLE: EXIT_CODES.unavailable,
  NOTHING_MATCHED: EXIT_CODES.failed,
  COMMAND_FAILED: EXIT_CODES.failed,
} as const satisfies Readonly<Record<string, ExitCode>>;

export type OperatorErrorCode = keyof typeof OPERATOR_ERROR_EXIT_CODES;

/**
 * Base of the errors meant for a person running the tool: the message says what is wrong and how to fix it,
 * the CLI prints it (first line, no stack) and exits with `exitCode`, which follows from `code`. Subclasses set
 * a literal `name` and `code`; `cause` is kept. Bitrix24 call failures have their own base (BitrixError).
 */
export abstract class OperatorError extends Error {
  abstract override readonly name: string;
  abstract readonly code: OperatorErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }

  get exitCode(): ExitCode {
    return OPERATOR_ERROR_EXIT_CODES[this.code];
  }
}

/** Wrong usage found by a command itself (options that contradict each other, a bad value). */
export class UsageError extends OperatorError {
  override readonly name = 'UsageError' as const;
  readonly code = 'USAGE' as const;
}

/** A command could not do what was asked (a file could not be written, the API could not listen). */
export class CommandFailedError extends OperatorError {
  override readonly name = 'CommandFailedError' as const;
  readonly code = 'COMMAND_FAILED' as const;
}

/** The configuration could not be resolved; `message` names every bad key and what is allowed. */
export class ConfigError extends OperatorError {
  override readonly name = 'ConfigError' as const;
  readonly code = 'CONFIG_INVALID' as const;
}

/** An operator command matched no pair: said plainly instead of doing nothing silently. */
export class NothingMatchedError extends OperatorError {
  override readonly name = 'NothingMatchedError' as const;
  readonly code = 'NOTHING_MATCHED' as const;
}
