import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient } from '../../src/bitrix/call-method.js';
import { parseRequestParams } from '../../src/simulator/parse-request-params.js';
import { type RecordedRequest, startTestServer, type TestServer } from '../bitrix/start-test-server.js';

/** Parameter names as a client may send them: any text, including `__proto__` and names of Object methods. */
const keyArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'LANG', 'FIELDS'),
);
const paramsArb = fc.dictionary(keyArb, fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 });

let server: TestServer;
const received: RecordedRequest[] = [];
beforeAll(async () => {
  server = await startTestServer((request, res) => {
    received.push(request);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"result":true,"time":{"operating":0}}');
  });
});
afterAll(async () => {
  await server.close();
});

const rest = () => createRestClient({ timeoutMs: 5_000, allowHttp: true, allowHosts: ['127.0.0.1'] });

/** What the simulator (playing the portal) reads from the request the client sent. */
function portalReads(request: RecordedRequest | undefined): Record<string, unknown> {
  expect(request).toBeDefined();
  const [, query = ''] = (request?.url ?? '').split('?');
  const parsed = parseRequestParams(String(request?.headers['content-type']), request?.body ?? '', query);
  if (!parsed.ok) throw new Error(parsed.description);
  return parsed.params;
}

/** The JSON round trip of a value: what any JSON reader gets back (-0 becomes 0, key order kept). */
function viaJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** The simulator's reader (zod record) drops a top-level `__proto__` key instead of letting it set a prototype. */
function withoutProto(value: unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value as object).filter(([key]) => key !== '__proto__'));
}

/** The body is the exact JSON of what was asked, and the portal side reads it back (minus `__proto__`). */
function expectRoundTrip(request: RecordedRequest | undefined, sent: Record<string, unknown>): void {
  const expected = viaJson(sent);
  expect(JSON.parse(request?.body ?? 'null')).toEqual(expected);
  const read = portalReads(request);
  expect(read).toEqual(withoutProto(expected));
  expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
}

describe('REST client JSON bodies (property-based)', () => {
  it('an OAuth call carries any JSON parameters, plus `auth`, exactly as given', async () => {
    const client = rest();
    await fc.assert(
      fc.asyncProperty(paramsArb, fc.stringMatching(/^[a-z0-9]{16,64}$/), async (params, token) => {
        received.length = 0;
        await client.call(
          { kind: 'oauth', restUrl: `${server.url}/rest/`, accessToken: token },
          'imbot.app.register',
          params,
        );
        const last = received.at(-1);
        expect(last?.url).toBe('/rest/imbot.app.register.json');
        expect(last?.headers['content-type']).toBe('application/json');
        expectRoundTrip(last, { ...params, auth: token });
      }),
      { numRuns: 150 },
    );
  });

  it('a webhook call carries any JSON parameters (plus CLIENT_ID when set) and no `auth`', async () => {
    const client = rest();
    await fc.assert(
      fc.asyncProperty(
        paramsArb,
        fc.option(fc.stringMatching(/^local\.[a-z0-9]{8}$/), { nil: undefined }),
        async (params, clientId) => {
          received.length = 0;
          const target = {
            kind: 'webhook' as const,
            webhookUrl: `${server.url}/rest/1/abc123/`,
            ...(clientId ? { clientId } : {}),
          };
          await client.call(target, 'imbot.app.update', params);
          const last = received.at(-1);
          expect(last?.url).toBe('/rest/1/abc123/imbot.app.update.json');
          const expected = clientId === undefined ? { ...params } : { ...params, CLIENT_ID: clientId };
          expectRoundTrip(last, expected);
          const body = JSON.parse(last?.body ?? '{}') as Record<string, unknown>;
          if (!Object.hasOwn(params, 'auth')) expect(Object.hasOwn(body, 'auth')).toBe(false);
        },
      ),
      { numRuns: 150 },
    );
  });
});
