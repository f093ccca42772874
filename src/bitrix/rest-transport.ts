import { createAllowList } from '../outbound/allow-list.js';
import { createGuardedFetch } from '../outbound/create-guarded-fetch.js';
import type { ResolveHost } from '../outbound/create-guarded-lookup.js';
import { DEFAULT_MAX_RESPONSE_BYTES, type HttpTransportOptions } from './send-http-request.js';

export interface RestClientOptions {
  /**
   * Injected for tests; defaults to the guarded fetch (createGuardedFetch: undici with a keep-alive agent whose
   * connect-time lookup enforces the outbound rule). An injected fetch does its own connecting: only the
   * IP-literal check of sendHttpRequest applies to it.
   */
  fetch?: typeof fetch;
  /**
   * ROLLOUT_ALLOW_HOSTS (config `allowHosts`): hosts or CIDRs exempt from the outbound rule
   * (docs/security.md, "Where credentials are sent: the outbound rule"). Default none: loopback, private,
   * link-local and other reserved addresses are refused.
   */
  allowHosts?: readonly string[];
  /** Resolves host names at connect time; default `dns.lookup(host, {all: true})`. Injected in tests. */
  resolveHost?: ResolveHost;
  /** Whole-call limit: connect, answer and body. Past it the call fails AmbiguousError `TIMEOUT`. */
  timeoutMs: number;
  /** Allow plain http:// targets (local simulator only). Otherwise they fail PermanentError `INSECURE_URL`. */
  allowHttp: boolean;
  userAgent?: string;
  /** Answers larger than this fail TransientError `INVALID_RESPONSE`. Default 1 MiB. */
  maxResponseBytes?: number;
}

/** RestClientOptions with the defaults applied: what every REST request (single call or batch) is sent with. */
export interface RestTransport extends HttpTransportOptions {
  userAgent: string;
}

/** Checks and completes the options once; throws RangeError for a timeout that is not a positive number. */
export function createRestTransport(options: RestClientOptions): RestTransport {
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive number, got ${options.timeoutMs}`);
  }
  const allowHosts = options.allowHosts ?? [];
  return {
    fetch:
      options.fetch ??
      createGuardedFetch(
        options.resolveHost === undefined ? { allowHosts } : { allowHosts, resolveHost: options.resolveHost },
      ),
    allow: createAllowList(allowHosts),
    timeoutMs: options.timeoutMs,
    allowHttp: options.allowHttp,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    userAgent: options.userAgent ?? 'imbot-rollout',
  };
}
