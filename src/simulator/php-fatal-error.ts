/**
 * A PHP `Error` (here a TypeError) the server's code does not catch: CRestServer::process catches only
 * `Exception`, so it ends the whole request (a batch included, after the commands before it did their work)
 * and Bitrix's exception handler answers HTTP 500 with a plain-text page (docs/bitrix24.md, "Batch").
 */
export class PhpFatalError extends Error {
  override readonly name = 'PhpFatalError';
}

/** The body of that answer: Bitrix's exception handler output without debug (main module, ExceptionHandlerOutput). */
export const PHP_FATAL_ERROR_PAGE =
  'A error occurred during execution of this script. You can turn on extended error reporting in .settings.php file.';
