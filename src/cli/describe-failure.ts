import { CommanderError } from 'commander';
import { BitrixError } from '../bitrix/bitrix-error.js';
import { EXIT_CODES, type ExitCode, OperatorError } from '../errors/operator-error.js';

/** How a failed command ends: the line for stderr (undefined when already printed) and the exit code. */
export interface Failure {
  line: string | undefined;
  exitCode: number;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/**
 * The one place an error becomes an exit code and a line for the operator (docs/operations.md, "Exit codes"):
 * - an OperatorError: its whole message (it is written for a person, e.g. every bad input entry), its exitCode
 *   (2 usage, configuration, input or unknown key ids; 3 Redis unreachable; 1 nothing matched, command failed);
 * - a CommanderError (unknown option, missing argument): commander printed it already; its own exit code;
 * - a BitrixError (a Bitrix24 call failed outside a job): its first line, with the Bitrix24 code, exit 1;
 * - anything else: its first line (no stack), exit 1.
 */
export function describeFailure(error: unknown): Failure {
  if (error instanceof OperatorError) return { line: error.message, exitCode: error.exitCode };
  if (error instanceof CommanderError) return { line: undefined, exitCode: error.exitCode };
  const failed: ExitCode = EXIT_CODES.failed;
  if (error instanceof BitrixError) return { line: firstLine(error.message), exitCode: failed };
  return { line: firstLine(error instanceof Error ? error.message : String(error)), exitCode: failed };
}
