import { z } from 'zod';

/**
 * How the simulated application backend holds the application's OAuth tokens (docs/tokens.md, "Who owns the
 * tokens"):
 * - `source`: it owns the pair, refreshes it, and serves the token-source contract to imbot-rollout;
 * - `borrow`: it holds no refresh token and takes access tokens from imbot-rollout's handout (`/api/tokens`);
 * - `independent`: it owns the pair and refreshes it by itself, telling nobody: the deployment that breaks when
 *   imbot-rollout holds the same pair (issue 18).
 */
export const BACKEND_MODES = ['source', 'borrow', 'independent'] as const;
export type BackendMode = (typeof BACKEND_MODES)[number];

/** The expiry field the source answers with (the contract accepts each). */
export const EXPIRY_FIELDS = ['expires_in', 'expires', 'expires_at'] as const;

const secret = z.string().min(16, 'must be at least 16 characters');

const common = {
  /** The portals it holds (default: every OAuth portal of the simulator). */
  domains: z.array(z.string().min(1)).min(1, 'must list at least one portal').optional(),
  /** Every held portal is called every this many ms (default 500); 0: it never calls on its own. */
  callIntervalMs: z.number().int().min(0).max(3_600_000).optional(),
  /** The REST method of those calls (default `imbot.bot.list`: cheap, any chat-bot application may call it). */
  method: z.string().min(1).max(100).optional(),
  /** Timeout of each of its HTTP requests, ms (default 5000). */
  timeoutMs: z.number().int().min(1).max(120_000).optional(),
};

/** The options of one application backend: from code, the `simulate` CLI or `POST /_sim/control`. */
export const applicationBackendOptionsSchema = z.discriminatedUnion('mode', [
  z
    .object({
      mode: z.literal('source'),
      /** The bearer secret imbot-rollout must send (ROLLOUT_TOKEN_SOURCE_SECRET on its side). */
      secret,
      /** Port of its token-source endpoint on 127.0.0.1 (default 0: any free port). */
      port: z.number().int().min(0).max(65535).optional(),
      /** Which expiry field its answers carry (default `expires_in`). */
      expiryField: z.enum(EXPIRY_FIELDS).optional(),
      ...common,
    })
    .strict(),
  z
    .object({
      mode: z.literal('borrow'),
      /** imbot-rollout's handout, e.g. `http://127.0.0.1:3000/api/tokens` (`?domain=` is appended). */
      url: z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }),
      /** ROLLOUT_TOKEN_HANDOUT_SECRET of that imbot-rollout. */
      secret,
      ...common,
    })
    .strict(),
  z.object({ mode: z.literal('independent'), ...common }).strict(),
]);

export type ApplicationBackendOptions = z.input<typeof applicationBackendOptionsSchema>;
