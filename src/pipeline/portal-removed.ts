import type { PairError } from '../store/pair-result.js';

/** The pair's error once its portal was removed (`remove-portal`, DELETE /api/portals); importing it again lifts it. */
export const PORTAL_REMOVED: PairError = {
  code: 'PORTAL_REMOVED',
  message:
    'the portal was removed (remove-portal or DELETE /api/portals): nothing calls it; import it again (rollout --portals or POST /api/portals) to bring it back',
};
