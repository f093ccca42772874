import { describe, expect, it } from 'vitest';
import { REFRESH_TOKEN_LIFETIME_MS } from '../../src/store/credential-index.js';
import {
  REFRESH_TOKEN_REUSED,
  REFRESH_TOKEN_REUSED_REASON,
  refusedRefreshReason,
} from '../../src/tokens/refused-refresh-reason.js';

const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);
const DAY = 86_400_000;

describe('refusedRefreshReason', () => {
  it.each([
    ['invalid_grant on a pair issued an hour ago', 'invalid_grant', NOW - 3_600_000, REFRESH_TOKEN_REUSED],
    ['invalid_grant on a pair issued 179 days ago', 'invalid_grant', NOW - 179 * DAY, REFRESH_TOKEN_REUSED],
    ['invalid_grant on a pair issued just now', 'invalid_grant', NOW, REFRESH_TOKEN_REUSED],
    [
      'invalid_grant one millisecond before the pair lapses',
      'invalid_grant',
      NOW - REFRESH_TOKEN_LIFETIME_MS + 1,
      REFRESH_TOKEN_REUSED,
    ],
    [
      'invalid_grant on a pair issued exactly 180 days ago',
      'invalid_grant',
      NOW - REFRESH_TOKEN_LIFETIME_MS,
      'invalid_grant',
    ],
    ['invalid_grant on a pair issued 200 days ago', 'invalid_grant', NOW - 200 * DAY, 'invalid_grant'],
    [
      'invalid_grant on a portal the credential index does not know',
      'invalid_grant',
      undefined,
      'invalid_grant',
    ],
    ['invalid_grant with a corrupt issue time', 'invalid_grant', Number.NaN, 'invalid_grant'],
    [
      'invalid_client on a fresh pair (the application, not the token)',
      'invalid_client',
      NOW - DAY,
      'invalid_client',
    ],
  ])('%s -> %s', (_case, code, issuedAt, expected) => {
    const reason = refusedRefreshReason({
      code,
      description: 'The refresh token is invalid',
      issuedAt,
      now: NOW,
    });
    expect(reason.code).toBe(expected);
    expect(reason.stateReason.startsWith(`${expected}: `)).toBe(true);
    expect(reason.stateReason.length).toBeLessThanOrEqual(300);
  });

  it('says the token was already used, keeps the Bitrix24 code and description, and points to the fix', () => {
    const reason = refusedRefreshReason({
      code: 'invalid_grant',
      description: 'The refresh token is invalid',
      issuedAt: NOW - DAY,
      now: NOW,
    });
    expect(reason.text.startsWith(REFRESH_TOKEN_REUSED_REASON)).toBe(true);
    expect(reason.stateReason).toBe(
      `REFRESH_TOKEN_REUSED: ${REFRESH_TOKEN_REUSED_REASON} (see docs/tokens.md, "The refresh token was already used"; ` +
        'Bitrix24 answered invalid_grant: The refresh token is invalid)',
    );
  });

  it('keeps any other refusal as the OAuth server said it', () => {
    expect(
      refusedRefreshReason({
        code: 'invalid_client',
        description: 'Unknown client',
        issuedAt: NOW,
        now: NOW,
      }),
    ).toEqual({
      code: 'invalid_client',
      stateReason: 'invalid_client: Unknown client',
      text: 'Unknown client',
    });
  });

  it('cuts a long description so the stored reason stays within 300 characters', () => {
    const long = 'x'.repeat(1_000);
    for (const issuedAt of [NOW, undefined]) {
      const reason = refusedRefreshReason({ code: 'invalid_grant', description: long, issuedAt, now: NOW });
      expect(reason.stateReason.length).toBe(300);
    }
  });
});
