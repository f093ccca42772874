/** A simulator handle method was given a domain the simulator does not host. */
export class UnknownPortalError extends Error {
  override readonly name = 'UnknownPortalError';

  constructor(
    readonly domain: string,
    options?: ErrorOptions,
  ) {
    super(`the simulator has no portal ${JSON.stringify(domain)}`, options);
  }
}
