import { describe, expect, it } from 'vitest';
import { tokenOwnershipNotice } from '../../src/portals/token-ownership-notice.js';

const oauth = {
  domain: 'a.example.com',
  auth: {
    type: 'oauth',
    accessToken: 'access-secret',
    refreshToken: 'refresh-secret',
    expiresAt: '2030-01-01T00:00:00Z',
  },
} as const;
const webhook = {
  domain: 'w.example.com',
  auth: { type: 'webhook', url: 'https://p.example.com/rest/1/code123/', clientId: 'c' },
} as const;

describe('tokenOwnershipNotice: one line whenever OAuth refresh tokens are imported', () => {
  it('says who owns and refreshes the tokens, how another holder gets them, and links the docs', () => {
    const line = tokenOwnershipNotice([oauth, webhook, oauth]);
    expect(line).toContain('imbot-rollout now owns and refreshes the OAuth refresh tokens of 2 portal(s)');
    expect(line).toContain('GET /api/tokens');
    expect(line).toContain('source mode');
    expect(line).toContain('docs/tokens.md#who-owns-the-tokens');
    expect(line).not.toContain('\n');
    expect(line).not.toContain('secret');
  });

  it('says nothing when no entry carries a refresh token', () => {
    expect(tokenOwnershipNotice([webhook])).toBeUndefined();
    expect(tokenOwnershipNotice([])).toBeUndefined();
  });

  it('counts only the portals whose pair the import wrote: a kept, newer stored pair takes no new ownership', () => {
    const other = { ...oauth, domain: 'b.example.com' };
    expect(tokenOwnershipNotice([oauth, other], ['b.example.com'])).toContain('tokens of 1 portal(s)');
    expect(tokenOwnershipNotice([oauth, other], [])).toBeUndefined();
  });
});
