import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { escapeHtml } from '../../src/api/escape-html.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';

const EVIL = `<img src=x onerror=alert(1)>"'\`</script><script>alert(2)</script>`;

let runtime: Runtime | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  await runtime?.close();
  runtime = undefined;
});

describe('dashboard escaping (untrusted error texts and query values)', () => {
  it('escapes &, <, >, quotes and backticks', () => {
    expect(escapeHtml(`<a href="x" title='y'>&\``)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;',
    );
  });

  it('renders a hostile error message and search text as text, never as markup', async () => {
    const config = loadConfig(
      {},
      { redisUrl: testRedisUrl(), prefix: uniquePrefix('esc'), logLevel: 'silent' },
    );
    runtime = createRuntime({ config, logger: pino({ level: 'silent' }) });
    const { results } = runtime;
    await results.requestPresent([
      { domain: 'evil.sim.test', code: 'echo', defHash: 'h1', portalParked: false },
    ]);
    await results.recordFailure('evil.sim.test', 'echo', {
      op: 'register',
      error: { code: 'WRONG_REQUEST', message: EVIL },
      final: true,
    });
    app = await buildApi(runtime, { host: '127.0.0.1', token: undefined });

    const page = await app.inject({ method: 'GET', url: `/?search=${encodeURIComponent(EVIL)}` });
    expect(page.statusCode).toBe(200);
    const html = page.body;
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&#96;&lt;/script&gt;');
    expect(html).toContain('data-portal="evil.sim.test" data-code="echo">Retry</button>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('alert(2)</script>');
    // Exactly our two script elements: the JSON config (with `<` escaped) and the nonce'd inline script.
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html).toContain('\\u003c/script>\\u003cscript>alert(2)\\u003c/script>');
    // The JSON API returns the text as data (JSON-encoded), for clients that escape it themselves.
    const attention = await app.inject({ method: 'GET', url: '/api/attention' });
    expect(
      (attention.json() as { pairs: { lastError: { message: string } }[] }).pairs[0]?.lastError.message,
    ).toBe(EVIL);
  });
});
