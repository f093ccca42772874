import type { z } from 'zod';
import { ApiInputError, type InputIssue } from './api-input-error.js';

/** Validates one part of a request with zod; a failure throws an {@link ApiInputError} naming each field. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'params' | 'query' | 'body',
): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issues: InputIssue[] = [];
  for (const issue of parsed.error.issues) {
    const field = [where, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        issues.push({ field: `${field}.${key}`, message: 'is not a known field' });
    } else {
      issues.push({ field, message: issue.message });
    }
  }
  throw new ApiInputError(issues);
}
