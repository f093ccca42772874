/** A Bitrix24 method error: the `error` code, its `error_description` and the HTTP status (default 400). */
export interface ChatAppError {
  code: string;
  description: string;
  /** HTTP status of the answer; 400 (the server's STATUS_WRONG_REQUEST) when not set. */
  status?: number;
}
