import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { configErrorOf } from '../support/config-error-of.js';

describe('events configuration', () => {
  it('defaults to 60 events a minute per source, no apps file and no default bot code', () => {
    expect(loadConfig({}).events).toEqual({ ratePerMinute: 60 });
  });

  it('takes ROLLOUT_EVENTS_APPS_FILE, ROLLOUT_EVENTS_BOT_CODE and ROLLOUT_EVENTS_RATE_PER_MINUTE', () => {
    const config = loadConfig({
      ROLLOUT_EVENTS_APPS_FILE: '/etc/imbot/apps.json',
      ROLLOUT_EVENTS_BOT_CODE: 'helper',
      ROLLOUT_EVENTS_RATE_PER_MINUTE: '12',
    });
    expect(config.events).toEqual({ appsFile: '/etc/imbot/apps.json', botCode: 'helper', ratePerMinute: 12 });
  });

  it('refuses a rate that is not a positive whole number, naming the variable', () => {
    expect(configErrorOf(() => loadConfig({ ROLLOUT_EVENTS_RATE_PER_MINUTE: '0' })).message).toContain(
      'events.ratePerMinute (ROLLOUT_EVENTS_RATE_PER_MINUTE)',
    );
  });
});
