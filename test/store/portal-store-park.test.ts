import { describe, expect, it } from 'vitest';
import { portalsFileSchema } from '../../src/portals/portal-entry-schema.js';
import { createPortalStore } from '../../src/store/portal-store.js';
import { createRedisKeys } from '../../src/store/redis-keys.js';
import { useOwnedResources } from '../support/own-resources.js';
import { installLeakCheck, newRedis, uniquePrefix } from '../support/redis.js';

installLeakCheck();

const DOMAIN = 'parked.example.com';
const own = useOwnedResources();

function store() {
  const redis = own('redis:park', newRedis(), (r) => r.quit());
  return createPortalStore({ redis, keys: createRedisKeys(uniquePrefix('park')) });
}

const entries = portalsFileSchema({ allowHttp: false }).parse([
  {
    domain: DOMAIN,
    botId: 1,
    auth: { type: 'oauth', accessToken: 'a', refreshToken: 'r', expiresAt: '2030-01-01T00:00:00Z' },
  },
]);

describe('parking a portal for re-authorisation', () => {
  it('parks an active portal as needs_reauth with its reason', async () => {
    const portals = store();
    await portals.importPortals(entries);
    await portals.markNeedsReauth(DOMAIN, 'invalid_grant: refused');
    expect(await portals.stateOf(DOMAIN)).toBe('needs_reauth');
    expect(await portals.domainsNeedingReauth([DOMAIN])).toEqual(new Set([DOMAIN]));
  });

  it('leaves an uninstalled portal uninstalled: a refresh refused after the uninstall does not hide it', async () => {
    // A job's token refresh that raced the ONAPPUNINSTALL fails (the application is gone) and parks the portal;
    // before, that turned `uninstalled` into `needs_reauth` (docs/install-events.md, "Uninstall").
    const portals = store();
    await portals.importPortals(entries);
    await portals.markUninstalled(DOMAIN, 'APP_UNINSTALLED: ONAPPUNINSTALL received');
    await portals.markNeedsReauth(DOMAIN, 'invalid_grant: refused');
    expect(await portals.stateOf(DOMAIN)).toBe('uninstalled');
    expect(await portals.domainsNeedingReauth([DOMAIN])).toEqual(new Set([DOMAIN]));
  });
});
