import type { Logger } from 'pino';
import type { BatchRestClient } from '../bitrix/call-method.js';
import type { Config } from '../config/config-schema.js';
import type { PipelineMetrics } from '../metrics/pipeline-metrics.js';
import type { PortalRateLimiter } from '../ratelimit/portal-rate-limiter.js';
import type { DefinitionStore } from '../store/definition-store.js';
import type { PortalStore } from '../store/portal-store.js';
import type { ResultStore } from '../store/result-store.js';
import type { TokenManager } from '../tokens/token-manager.js';

/** What processPair and the modules it calls (runPortalBatch, callAlone, resolveBotId, …) work with. */
export interface PairProcessorDeps {
  config: Config;
  results: ResultStore;
  definitions: DefinitionStore;
  portals: PortalStore;
  tokens: TokenManager;
  limiter: PortalRateLimiter;
  rest: BatchRestClient;
  logger: Logger;
  now: () => number;
  random: () => number;
  metrics: PipelineMetrics;
  /**
   * Re-times the jobs of pairs another job's batch took along: a claimed pair's job that ran meanwhile waits
   * for the claim to end; when the batch leaves the pair wanting another call sooner, its job is woken then.
   * Provided by the queue adapter (createRolloutWorker); without it those jobs run when their delay ends.
   */
  wakePairs?: (domain: string, wake: readonly { code: string; at: number }[]) => Promise<void>;
}
