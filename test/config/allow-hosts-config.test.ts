import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { configErrorOf } from '../support/config-error-of.js';

describe('config: ROLLOUT_ALLOW_HOSTS and the outbound rule for B24_OAUTH_URL', () => {
  it('defaults to no exempt host', () => {
    expect(loadConfig({}).allowHosts).toEqual([]);
  });

  it('reads comma-separated hosts, addresses and CIDRs (env or config file array)', () => {
    expect(loadConfig({ ROLLOUT_ALLOW_HOSTS: ' 127.0.0.1, Sim.Local ,10.0.0.0/8,::1' }).allowHosts).toEqual([
      '127.0.0.1',
      'sim.local',
      '10.0.0.0/8',
      '::1',
    ]);
    expect(loadConfig({}, { allowHosts: ['127.0.0.1', 'fd00::/8'] }).allowHosts).toEqual([
      '127.0.0.1',
      'fd00::/8',
    ]);
  });

  it.each(['10.0.0.0/33', 'http://x', 'a b', '1.2.3.4/x', '::1/129'])('refuses the item %s', (bad) => {
    expect(configErrorOf(() => loadConfig({ ROLLOUT_ALLOW_HOSTS: bad })).message).toContain(
      'allowHosts (ROLLOUT_ALLOW_HOSTS):',
    );
  });

  it.each([
    ['https://169.254.169.254/oauth/token/', 'link-local'],
    ['https://127.0.0.1:8787/oauth/token/', 'loopback'],
    ['https://0x7f.1/oauth/token/', 'loopback'],
    ['https://[::ffff:10.0.0.1]/oauth/token/', 'IPv4-mapped private'],
    ['https://192.168.0.10/oauth/token/', 'private'],
    ['https://localhost/oauth/token/', 'loopback name'],
  ])('refuses B24_OAUTH_URL %s (%s) unless its host is listed', (url, kind) => {
    const message = configErrorOf(() => loadConfig({ B24_OAUTH_URL: url })).message;
    expect(message).toContain('b24.oauthUrl (B24_OAUTH_URL): ');
    expect(message).toContain(kind);
    expect(message).toContain('ROLLOUT_ALLOW_HOSTS');
    const host = new URL(url).hostname;
    expect(loadConfig({ B24_OAUTH_URL: url, ROLLOUT_ALLOW_HOSTS: host }).b24.oauthUrl).toBe(url);
  });

  it('accepts a public OAuth server by name (its addresses are checked at connect time)', () => {
    expect(loadConfig({ B24_OAUTH_URL: 'https://oauth.example.com/oauth/token/' }).b24.oauthUrl).toBe(
      'https://oauth.example.com/oauth/token/',
    );
  });

  it.each(['https://localhost./oauth/token/', 'https://auth.localhost./oauth/token/'])(
    'refuses B24_OAUTH_URL %s: a trailing dot is the same loopback name',
    (url) => {
      const message = configErrorOf(() => loadConfig({ B24_OAUTH_URL: url })).message;
      expect(message).toContain('b24.oauthUrl (B24_OAUTH_URL): ');
      expect(message).toContain('loopback name');
    },
  );

  it.each([
    'https://user:secret@oauth.example.com/oauth/token/',
    'https://user@oauth.example.com/oauth/token/',
    'https://:pw@oauth.bitrix.info/oauth/token/',
  ])('refuses B24_OAUTH_URL with user-info (%s), without repeating it', (url) => {
    const message = configErrorOf(() => loadConfig({ B24_OAUTH_URL: url })).message;
    expect(message).toContain('b24.oauthUrl (B24_OAUTH_URL): ');
    expect(message).toContain('user-info');
    expect(message).not.toContain('secret@');
    expect(message).not.toContain(':pw@');
  });
});
