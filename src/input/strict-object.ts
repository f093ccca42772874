import { z } from 'zod';

/**
 * `z.strictObject` whose unknown-key issue carries the list of allowed keys, so formatZodIssues can say
 * `unknown key "paht"; allowed keys: path`. Unknown keys are errors, never silently dropped.
 */
export function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `allowed keys: ${allowed}` : undefined),
  });
}
