import type { z } from 'zod';
import { formatZodIssues } from '../input/format-zod-issues.js';

/** One invalid request field, named as `query.limit`, `params.domain` or `body.portal`. */
export interface InputIssue {
  field: string;
  message: string;
}

/** A request's params, query or body failed validation: answered 400 with every field named. */
export class ApiInputError extends Error {
  override readonly name = 'ApiInputError';
  readonly statusCode = 400;
  constructor(readonly issues: readonly InputIssue[]) {
    super(issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '));
  }
}

/** Validates one part of a request with zod; a failure throws an {@link ApiInputError} naming each field. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'params' | 'query' | 'body',
): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issues = formatZodIssues(parsed.error, where, {
    path: 'dotted',
    unknownKey: 'is not a known field',
  }).map((problem): InputIssue => ({ field: problem.where, message: problem.message }));
  throw new ApiInputError(issues);
}
