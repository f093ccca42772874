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
