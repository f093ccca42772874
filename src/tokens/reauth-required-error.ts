/**
 * The portal cannot be called until an administrator re-installs or re-authorises the application: its refresh
 * token was refused (`invalid_grant`, `invalid_client`), its webhook was refused (`NO_AUTH_FOUND`), or it is
 * already stored as `needs_reauth`. Retrying cannot help. Never carries a token.
 */
export class ReauthRequiredError extends Error {
  override readonly name = 'ReauthRequiredError' as const;
  readonly domain: string;
  /**
   * Why: `invalid_grant`, `invalid_client`, `NO_AUTH_FOUND`, `REFRESH_TOKEN_REUSED` (tokens/refused-refresh-reason.ts),
   * or the stored reason's code.
   */
  readonly code: string;

  /** `reason`: what the code means, when the code alone does not say it (REFRESH_TOKEN_REUSED). */
  constructor(domain: string, code: string, options?: { cause?: unknown; reason?: string }) {
    const why = options?.reason === undefined ? code : `${code}: ${options.reason}`;
    super(
      `portal ${domain} needs re-authorisation (${why}): re-install or re-authorise the application, then re-import its credentials`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.domain = domain;
    this.code = code;
  }
}
