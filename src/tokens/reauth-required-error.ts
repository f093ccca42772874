/**
 * The portal cannot be called until an administrator re-installs or re-authorises the application: its refresh
 * token was refused (`invalid_grant`, `invalid_client`), its webhook was refused (`NO_AUTH_FOUND`), or it is
 * already stored as `needs_reauth`. Retrying cannot help. Never carries a token.
 */
export class ReauthRequiredError extends Error {
  override readonly name = 'ReauthRequiredError' as const;
  readonly domain: string;
  /** Why: `invalid_grant`, `invalid_client`, `NO_AUTH_FOUND`, or the stored reason's code. */
  readonly code: string;

  /** `detail`: what happened and what fixes it, instead of the generic re-install hint (a token source's answer). */
  constructor(domain: string, code: string, options?: { cause?: unknown; detail?: string }) {
    super(
      `portal ${domain} needs re-authorisation (${code}): ${options?.detail ?? 're-install or re-authorise the application, then re-import its credentials'}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.domain = domain;
    this.code = code;
  }
}
