import { describe, expect, it } from 'vitest';
import { installLeakCheck } from '../support/redis.js';
import { accessTokenOf, useTokenEnvs } from '../tokens/support/token-env.js';
import { callOAuth } from './support/sim-test-kit.js';

installLeakCheck();
const startTokenEnv = useTokenEnvs();
const DOMAIN = 'race.sim.test';

describe('an access token ended by the refresh that replaced it', () => {
  it('answers invalid_token to a worker still using it, which gets the new token from the token manager without a second refresh', async () => {
    const env = await startTokenEnv([{ domain: DOMAIN }]);
    const slow = env.manager();
    const fast = env.manager();
    const old = accessTokenOf(await slow.targetFor(DOMAIN));
    // Another worker refreshes (its call with the same token was refused, or the token was about to expire).
    const fresh = accessTokenOf(await fast.refreshAfterRejected(DOMAIN, old));
    expect(fresh).not.toBe(old);

    const refused = await callOAuth(env.sim, DOMAIN, 'server.time', {}, old);
    expect(refused.status).toBe(401);
    expect(refused.json.error).toBe('invalid_token');

    const recovered = accessTokenOf(await slow.refreshAfterRejected(DOMAIN, old));
    expect(recovered).toBe(fresh);
    expect((await callOAuth(env.sim, DOMAIN, 'server.time', {}, recovered)).status).toBe(200);
    expect(env.sim.portal(DOMAIN).refreshes).toBe(1);
    expect(env.sim.stats().invalidGrants).toBe(0);
  });
});
