import type { PairError } from './pair-result.js';

/**
 * The pair's error once its portal's application was uninstalled (docs/install-events.md, "Uninstall"); an
 * install (new credentials) queues it again. Set by the uninstall handler (src/events) and by a job that finds
 * its portal uninstalled (src/pipeline).
 */
export const APP_UNINSTALLED: PairError = {
  code: 'APP_UNINSTALLED',
  message:
    'the application was uninstalled from this portal (ONAPPUNINSTALL); a new install queues the pair again',
};
