/**
 * Where and how to call a portal (bitrix24-facts.md, Wire format):
 * - `oauth`: `restUrl` is the portal's REST base (`https://<portal>/rest/`, the OAuth `client_endpoint`); the
 *   access token travels as parameter `auth` in the JSON body.
 * - `webhook`: `webhookUrl` is the inbound webhook (`https://<portal>/rest/<user_id>/<webhook_code>/`); the
 *   code in the path is the credential. `clientId`, when set, is sent as `CLIENT_ID` (a webhook acting for an
 *   application).
 * A missing trailing slash is added. Both URLs are secrets in part: never log them unredacted (redact.ts).
 */
export type PortalTarget =
  | { kind: 'oauth'; restUrl: string; accessToken: string }
  | { kind: 'webhook'; webhookUrl: string; clientId?: string };
