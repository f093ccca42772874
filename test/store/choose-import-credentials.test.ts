import { describe, expect, it } from 'vitest';
import {
  type CredentialChoice,
  chooseImportCredentials,
  type StoredCredentialFacts,
} from '../../src/store/choose-import-credentials.js';

const HOUR = 3_600_000;
const T = Date.parse('2026-06-01T12:00:00Z');
const oauth = (expiresAt: number) =>
  ({
    type: 'oauth',
    accessToken: 'a',
    refreshToken: 'r',
    expiresAt: new Date(expiresAt).toISOString(),
  }) as const;
const webhook = { type: 'webhook', url: 'https://p.example.com/rest/1/abc/', clientId: 'c' } as const;
const stored = (fields: Partial<StoredCredentialFacts> = {}): StoredCredentialFacts => ({
  known: true,
  authType: 'oauth',
  expiresAt: T + HOUR,
  state: 'active',
  sameAsLastImport: false,
  ...fields,
});

describe('chooseImportCredentials: a file never takes the stored credentials back in time', () => {
  const cases: [
    string,
    StoredCredentialFacts,
    Parameters<typeof chooseImportCredentials>[1],
    boolean,
    CredentialChoice,
  ][] = [
    ['a new portal takes the file’s pair', stored({ known: false }), oauth(T), false, 'replace'],
    [
      'the pair the last import stored is not written again',
      stored({ sameAsLastImport: true }),
      oauth(T + 9 * HOUR),
      false,
      'unchanged',
    ],
    ['a pair issued later than the stored one replaces it', stored(), oauth(T + HOUR + 1), false, 'replace'],
    [
      'a pair issued at the same time as the stored one leaves it',
      stored(),
      oauth(T + HOUR),
      false,
      'stored_newer',
    ],
    [
      'an older pair leaves the newer stored one (refreshed or installed since)',
      stored(),
      oauth(T - 40 * 24 * HOUR),
      false,
      'stored_newer',
    ],
    ['--replace-credentials writes an older pair', stored(), oauth(T - HOUR), true, 'replace'],
    [
      '--replace-credentials still never writes the last import’s pair again',
      stored({ sameAsLastImport: true }),
      oauth(T - HOUR),
      true,
      'unchanged',
    ],
    [
      'a refused stored pair (needs_reauth) protects nothing',
      stored({ state: 'needs_reauth' }),
      oauth(T - HOUR),
      false,
      'replace',
    ],
    [
      'a removed portal’s newer stored pair is kept',
      stored({ state: 'removed' }),
      oauth(T - HOUR),
      false,
      'stored_newer',
    ],
    ['a webhook replaces an OAuth pair', stored(), webhook, false, 'replace'],
    [
      'an OAuth pair replaces a webhook',
      stored({ authType: 'webhook', expiresAt: undefined }),
      oauth(T - HOUR),
      false,
      'replace',
    ],
    [
      'a stored pair without an expiry is replaced',
      stored({ expiresAt: undefined }),
      oauth(T - HOUR),
      false,
      'replace',
    ],
  ];
  it.each(cases)('%s', (_name, facts, file, replaceCredentials, expected) => {
    expect(chooseImportCredentials(facts, file, { replaceCredentials })).toBe(expected);
  });
});
