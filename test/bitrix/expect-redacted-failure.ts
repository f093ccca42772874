import { expect } from 'vitest';
import { BitrixError } from '../../src/bitrix/bitrix-error.js';

/**
 * Awaits a call that must fail with a BitrixError whose message, description and serialised forms contain none
 * of `secrets` (redaction happens where errors are built: src/bitrix/redact.ts). Returns the error.
 */
export async function expectRedactedFailure(
  promise: Promise<unknown>,
  secrets: readonly string[],
): Promise<BitrixError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail with a BitrixError');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BitrixError);
  const bitrixError = error as BitrixError;
  for (const text of [bitrixError.message, bitrixError.description, String(error), JSON.stringify(error)]) {
    for (const secret of secrets) expect(text).not.toContain(secret);
  }
  return bitrixError;
}
