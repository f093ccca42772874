import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors/operator-error.js';
import { formatZodIssues } from '../input/format-zod-issues.js';
import { type Config, configSchema } from './config-schema.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The environment variables of the public contract, each with the config key it sets. */
export const ENV_KEYS = {
  REDIS_URL: 'redisUrl',
  REDIS_CLUSTER_NODES: 'redisClusterNodes',
  ROLLOUT_PREFIX: 'prefix',
  B24_CLIENT_ID: 'b24.clientId',
  B24_CLIENT_SECRET: 'b24.clientSecret',
  B24_OAUTH_URL: 'b24.oauthUrl',
  ROLLOUT_ALLOW_HTTP: 'allowHttp',
  ROLLOUT_ALLOW_HOSTS: 'allowHosts',
  LOG_LEVEL: 'logLevel',
  ROLLOUT_HASH_SECRET: 'hashSecret',
  ROLLOUT_PORTAL_RATE: 'portalRate.rate',
  ROLLOUT_PORTAL_BURST: 'portalRate.burst',
  ROLLOUT_CONCURRENCY: 'worker.concurrency',
  ROLLOUT_MAX_ATTEMPTS: 'retry.maxAttempts',
  ROLLOUT_REQUEST_TIMEOUT_MS: 'request.timeoutMs',
  ROLLOUT_PLAN_MAX_AGE_MS: 'plan.maxAgeMs',
  ROLLOUT_TOKEN_KEEPALIVE_DAYS: 'tokens.keepAliveAfterDays',
  ROLLOUT_TOKEN_SOURCE_URL: 'tokens.source.url',
  ROLLOUT_TOKEN_SOURCE_SECRET: 'tokens.source.secret',
  ROLLOUT_TOKEN_HANDOUT_SECRET: 'tokens.handout.secret',
  ROLLOUT_BATCH: 'batch.enabled',
  ROLLOUT_API_TOKEN: 'api.token',
  ROLLOUT_QUEUE_BOARD_WRITE: 'api.queueBoardWrite',
  ROLLOUT_TRUST_PROXY: 'api.trustProxy',
  ROLLOUT_SECRET_KEY: 'secrets.key',
  ROLLOUT_SECRET_KEY_PREVIOUS: 'secrets.previousKey',
  ROLLOUT_INSECURE_PLAINTEXT_SECRETS: 'secrets.insecurePlaintext',
  ROLLOUT_EVENTS_APPS_FILE: 'events.appsFile',
  ROLLOUT_EVENTS_BOT_CODE: 'events.botCode',
  ROLLOUT_EVENTS_RATE_PER_MINUTE: 'events.ratePerMinute',
} as const;

/** On/off variables: `1`/`0` (also true/false, yes/no, on/off); an empty value means off. */
const FLAG_ENV = new Set([
  'ROLLOUT_ALLOW_HTTP',
  'ROLLOUT_BATCH',
  'ROLLOUT_INSECURE_PLAINTEXT_SECRETS',
  'ROLLOUT_QUEUE_BOARD_WRITE',
]);

/** Variables that take a flag value or a list: ROLLOUT_TRUST_PROXY=1, or the proxies' addresses. */
const FLAG_OR_TEXT_ENV = new Set(['ROLLOUT_TRUST_PROXY']);

const NUMERIC_ENV = new Set([
  'ROLLOUT_PORTAL_RATE',
  'ROLLOUT_PORTAL_BURST',
  'ROLLOUT_CONCURRENCY',
  'ROLLOUT_MAX_ATTEMPTS',
  'ROLLOUT_REQUEST_TIMEOUT_MS',
  'ROLLOUT_PLAN_MAX_AGE_MS',
  'ROLLOUT_TOKEN_KEEPALIVE_DAYS',
  'ROLLOUT_EVENTS_RATE_PER_MINUTE',
]);

const DEFAULT_CONFIG_FILE = fileURLToPath(new URL('../../config/default.json', import.meta.url));

function parseFlag(name: string, raw: string): boolean {
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off', ''].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name}=${JSON.stringify(raw)} is not allowed: use 1 (on) or 0 (off)`);
}

function parseNumber(name: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a number`);
  }
  return value;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('the top level must be an object');
    }
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      typeof current === 'object' &&
      current !== null
        ? deepMerge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

function envName(path: string): string | undefined {
  return Object.entries(ENV_KEYS).find(([, key]) => key === path)?.[0];
}

/**
 * Resolves the configuration once: `config/default.json`, then the file named by `ROLLOUT_CONFIG` (if any),
 * then the environment variables in {@link ENV_KEYS}. A bad value throws a {@link ConfigError} naming the key
 * (and its environment variable) and what is allowed.
 */
export function loadConfig(env: Env = process.env, overrides: Record<string, unknown> = {}): Config {
  let raw = readJson(DEFAULT_CONFIG_FILE);
  const extraFile = env['ROLLOUT_CONFIG'];
  if (extraFile) raw = deepMerge(raw, readJson(extraFile));
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || (value === '' && !FLAG_ENV.has(name))) continue;
    if (FLAG_ENV.has(name)) setPath(raw, path, parseFlag(name, value));
    else if (FLAG_OR_TEXT_ENV.has(name))
      setPath(raw, path, /^(1|0|true|false|yes|no|on|off)$/i.test(value) ? parseFlag(name, value) : value);
    else if (NUMERIC_ENV.has(name)) setPath(raw, path, parseNumber(name, value));
    else setPath(raw, path, value);
  }
  raw = deepMerge(raw, overrides);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = formatZodIssues(parsed.error, '', { path: 'dotted' }).map(({ where, message }) => {
      const variable = envName(where);
      return `  - ${where || '(root)'}${variable ? ` (${variable})` : ''}: ${message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
