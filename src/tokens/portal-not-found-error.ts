/** The domain is not in the portal store: import the portals file first. */
export class PortalNotFoundError extends Error {
  override readonly name = 'PortalNotFoundError' as const;
  readonly domain: string;

  constructor(domain: string) {
    super(`portal ${domain} is not in the store: import it with the portals file first`);
    this.domain = domain;
  }
}
