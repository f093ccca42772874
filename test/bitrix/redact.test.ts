import { describe, expect, it } from 'vitest';
import { redactText, redactUrl } from '../../src/bitrix/redact.js';

describe('redactUrl', () => {
  it('hides the webhook code and keeps the user id and method', () => {
    expect(redactUrl('https://acme.bitrix24.com/rest/1/k3y5ecr3t/imbot.app.register.json')).toBe(
      'https://acme.bitrix24.com/rest/1/***/imbot.app.register.json',
    );
    expect(redactUrl('https://acme.bitrix24.com/rest/12/k3y5ecr3t')).toBe(
      'https://acme.bitrix24.com/rest/12/***',
    );
  });

  it('leaves an OAuth REST URL alone', () => {
    expect(redactUrl('https://acme.bitrix24.com/rest/imbot.app.register.json')).toBe(
      'https://acme.bitrix24.com/rest/imbot.app.register.json',
    );
  });

  it('hides auth, access_token, refresh_token and client_secret query values', () => {
    expect(
      redactUrl(
        'https://x/oauth/token/?grant_type=refresh_token&client_secret=s3&refresh_token=r1&client_id=app',
      ),
    ).toBe(
      'https://x/oauth/token/?grant_type=refresh_token&client_secret=***&refresh_token=***&client_id=app',
    );
    expect(redactUrl('https://x/rest/user.current.json?auth=abc&x=1')).toBe(
      'https://x/rest/user.current.json?auth=***&x=1',
    );
    expect(redactUrl('https://x/?ACCESS_TOKEN=abc#frag')).toBe('https://x/?ACCESS_TOKEN=***#frag');
  });

  it('does not touch look-alike parameter names', () => {
    expect(redactUrl('https://x/?oauth=1&x_auth=2')).toBe('https://x/?oauth=1&x_auth=2');
  });
});

describe('redactText', () => {
  it('replaces every occurrence of every secret, also URL-encoded', () => {
    expect(redactText('token a+b/c= and a%2Bb%2Fc%3D and a+b/c=', ['a+b/c='])).toBe(
      'token *** and *** and ***',
    );
  });

  it('replaces a longer secret whole even when it contains a shorter one', () => {
    expect(redactText('abcdef', ['abc', 'abcdef'])).toBe('***');
  });

  it('ignores empty secrets', () => {
    expect(redactText('plain', [''])).toBe('plain');
  });

  it('hides credential-looking JSON fields and parameters without being told the values', () => {
    expect(redactText('{"access_token": "x1", "refresh_token":"y2", "member_id":"m"}', [])).toBe(
      '{"access_token": "***", "refresh_token":"***", "member_id":"m"}',
    );
    expect(redactText('posted auth=zzz&BOT_ID=1 to /rest/3/code9/x.json', [])).toBe(
      'posted auth=***&BOT_ID=1 to /rest/3/***/x.json',
    );
  });
});
