import { z } from 'zod';
import { CODE_MAX } from '../apps/app-definition-schema.js';
import { ATTENTION_REASONS } from '../ops/attention-row.js';
import { PAIR_STATES, type PairState } from '../store/pair-result.js';

/** Zod schemas of the API's params, query strings and bodies: errors name the field and what is allowed. */

const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

export const domainSchema = z
  .string({ error: 'must be a portal host name' })
  .trim()
  .toLowerCase()
  .regex(HOST_NAME, 'must be a portal host name, e.g. example.bitrix24.com');

export const codeSchema = z
  .string({ error: 'must be an app CODE' })
  .trim()
  .regex(
    new RegExp(`^[A-Za-z0-9_.-]{1,${CODE_MAX}}$`),
    `must be an app CODE: 1 to ${CODE_MAX} letters, digits, "_", "-" or "."`,
  );

const intParam = (min: number, max: number, fallback: number) =>
  z
    .union([z.string(), z.number()], { error: `must be a whole number from ${min} to ${max}` })
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

/** `state=failed&state=pending` or `state=failed,pending`. */
const stateListSchema = z
  .union([z.string(), z.array(z.string())], { error: `must be one or more of ${PAIR_STATES.join(', ')}` })
  .optional()
  .transform((value, ctx): PairState[] | undefined => {
    if (value === undefined) return undefined;
    const items = (Array.isArray(value) ? value : [value])
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter((v) => v !== '');
    if (items.length === 0) return undefined;
    const unknown = items.filter((v) => !(PAIR_STATES as readonly string[]).includes(v));
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown state ${JSON.stringify(unknown[0])}: use ${PAIR_STATES.join(', ')}`,
      });
      return z.NEVER;
    }
    return items as PairState[];
  });

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);

export const portalsQuerySchema = z
  .object({
    state: stateListSchema,
    code: z.preprocess(emptyToUndefined, codeSchema.optional()),
    search: z.preprocess(
      emptyToUndefined,
      z.string({ error: 'must be text' }).trim().max(200, 'must be at most 200 characters').optional(),
    ),
    offset: intParam(0, 1_000_000, 0),
    limit: intParam(1, 500, 50),
  })
  .strict();

export const attentionQuerySchema = z
  .object({
    only: z.preprocess(
      // `parked`: the word this parameter took before it used the state names; deprecated (docs/http-api.md).
      (value: unknown) => (value === 'parked' ? 'needs_reauth' : emptyToUndefined(value)),
      z.enum(ATTENTION_REASONS, { error: `must be one of ${ATTENTION_REASONS.join(', ')}` }).optional(),
    ),
    limit: intParam(1, 1_000, 100),
    history: intParam(0, 50, 5),
  })
  .strict();

export const portalParamsSchema = z.object({ domain: domainSchema }).strict();
export const pairParamsSchema = z.object({ domain: domainSchema, code: codeSchema }).strict();

export const retryFailedBodySchema = z
  .object({
    portal: domainSchema.optional(),
    code: codeSchema.optional(),
  })
  .strict();
