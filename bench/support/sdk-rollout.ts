import { AjaxError, B24OAuth, EnumAppStatus } from '@bitrix24/b24jssdk';
import type { AppDefinition } from '../../src/apps/app-definition-schema.js';
import { toRegisterParams } from '../../src/apps/to-method-params.js';
import type { PortalEntry } from '../../src/portals/portal-entry-schema.js';

export interface SdkRolloutOutcome {
  registered: number;
  failed: number;
  /** Error codes of the failed calls, as the SDK reported them. */
  errors: Record<string, number>;
}

/**
 * A client of the official SDK for one OAuth portal of the simulator. B24OAuth takes the portal's REST endpoint
 * as given (http is accepted for OAuth; only B24Hook insists on https). The SDK appends `/<method>` to the
 * endpoint, so it is given without its trailing slash (a `//` would not route in the simulator).
 */
function sdkClient(entry: PortalEntry, simUrl: string): B24OAuth {
  if (entry.auth.type !== 'oauth') throw new Error(`${entry.domain}: the SDK run needs OAuth portals`);
  return new B24OAuth(
    {
      applicationToken: '',
      userId: 1,
      memberId: entry.memberId ?? '',
      accessToken: entry.auth.accessToken,
      refreshToken: entry.auth.refreshToken,
      expires: Math.floor(Date.parse(entry.auth.expiresAt) / 1000),
      expiresIn: 3600,
      scope: 'imbot',
      domain: entry.domain,
      clientEndpoint: entry.restUrl.replace(/\/$/, ''),
      serverEndpoint: `${simUrl}/rest/`,
      status: EnumAppStatus.Local,
    },
    { clientId: 'sim-client-id', clientSecret: 'sim-client-secret' },
  );
}

/**
 * What a user writes with the SDK: one B24OAuth client per portal, `imbot.app.register` with the same
 * parameters imbot-rollout sends, `concurrency` portals at a time (1 = a plain `for ... await` loop). The SDK's
 * own throttling, retries and defaults apply; nothing is remembered between runs.
 */
export async function sdkRollout(
  portals: readonly PortalEntry[],
  app: AppDefinition,
  simUrl: string,
  concurrency: number,
): Promise<SdkRolloutOutcome> {
  const outcome: SdkRolloutOutcome = { registered: 0, failed: 0, errors: {} };
  const fail = (code: string) => {
    outcome.failed++;
    outcome.errors[code] = (outcome.errors[code] ?? 0) + 1;
  };
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < portals.length; i = next++) {
      const entry = portals[i];
      if (!entry) continue;
      const b24 = sdkClient(entry, simUrl);
      try {
        const answer = await b24.actions.v2.call.make({
          method: 'imbot.app.register',
          params: toRegisterParams(app, { botId: entry.botId ?? 0, hash: undefined }),
        });
        if (answer.isSuccess) outcome.registered++;
        else fail(answer.getErrorMessages()[0] ?? 'UNKNOWN');
      } catch (error) {
        fail(error instanceof AjaxError ? error.code : error instanceof Error ? error.name : 'UNKNOWN');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, portals.length) }, lane));
  return outcome;
}
