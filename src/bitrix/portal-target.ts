/**
 * Where and how to call a portal (docs/bitrix24.md, "Who is calling"):
 * - `oauth`: `restUrl` is the portal's REST base (`https://<portal>/rest/`, the OAuth `client_endpoint`); the
 *   access token travels as parameter `auth` in the JSON body.
 * - `webhook`: `webhookUrl` is the inbound webhook (`https://<portal>/rest/<user_id>/<webhook_code>/`); the
 *   code in the path is the credential. `clientId`, when set, is sent as `CLIENT_ID`: the chat-app methods act
 *   for the application `custom<CLIENT_ID>` and answer ACCESS_DENIED "Client ID not specified" without it (the
 *   portals file requires it for every webhook portal).
 * A missing trailing slash is added. Both URLs are secrets in part: never log them unredacted (redact.ts).
 */
export type PortalTarget =
  | { kind: 'oauth'; restUrl: string; accessToken: string }
  | { kind: 'webhook'; webhookUrl: string; clientId?: string };
