import { describe, expect, it } from 'vitest';
import { parsePhpForm } from '../../src/bitrix/parse-php-form.js';
import { postForm, useSimulators, VALID_HASH } from './support/sim-test-kit.js';

const start = useSimulators();
const A = 'a.sim.test';

describe('parsePhpForm', () => {
  it('builds nested arrays and objects from PHP-style keys', () => {
    const parsed = parsePhpForm(
      'BOT_ID=62&CODE=echo&LANG[0][LANGUAGE_ID]=en&LANG[0][TITLE]=Echo+bot&LANG[1][LANGUAGE_ID]=de&LANG[1][TITLE]=%C3%9Cber',
    );
    expect(parsed).toEqual({
      BOT_ID: '62',
      CODE: 'echo',
      LANG: [
        { LANGUAGE_ID: 'en', TITLE: 'Echo bot' },
        { LANGUAGE_ID: 'de', TITLE: 'Über' },
      ],
    });
  });

  it('appends for empty brackets and keeps non-sequential keys as an object', () => {
    expect(parsePhpForm('A[]=1&A[]=2&B[x]=1&B[5]=2&FIELDS[LANG][][TITLE]=t')).toEqual({
      A: ['1', '2'],
      B: { x: '1', 5: '2' },
      FIELDS: { LANG: [{ TITLE: 't' }] },
    });
  });

  it('drops keys that could pollute prototypes and keeps malformed keys literally', () => {
    const parsed = parsePhpForm('__proto__[polluted]=1&A[constructor][x]=1&B[x=1&C=2');
    expect(parsed).toEqual({ 'B[x': '1', C: '2' });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('form-encoded REST calls', () => {
  it('registers an IFRAME app sent as a PHP-style form with auth in the body', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 62 }] });
    const body = new URLSearchParams({
      auth: sim.portal(A).currentAccessToken ?? '',
      BOT_ID: '62',
      CODE: 'frame',
      IFRAME: 'https://example.com/frame',
      HASH: VALID_HASH,
      IFRAME_WIDTH: '350',
      'LANG[0][LANGUAGE_ID]': 'en',
      'LANG[0][TITLE]': 'Frame',
      'LANG[0][DESCRIPTION]': 'Open it',
    }).toString();
    const answer = await postForm(`${sim.url}/portal/${A}/rest/imbot.app.register.json`, body);
    expect(answer.status).toBe(200);
    expect(answer.json.result).toBe(1);
    expect(sim.portal(A).apps[0]?.fields).toMatchObject({
      IFRAME: 'https://example.com/frame',
      IFRAME_WIDTH: 350,
      IFRAME_HEIGHT: 250,
      HASH: VALID_HASH,
      LANG: [{ LANGUAGE_ID: 'en', TITLE: 'Frame', DESCRIPTION: 'Open it', COPYRIGHT: null }],
    });
  });

  it('reports a LANG_ERROR when the form has no language phrases', async () => {
    const sim = await start({ portals: [{ domain: A, botId: 62 }] });
    const body = `auth=${sim.portal(A).currentAccessToken ?? ''}&BOT_ID=62&CODE=c&JS_METHOD=SEND&JS_PARAM=%2Fgo`;
    const answer = await postForm(`${sim.url}/portal/${A}/rest/imbot.app.register.json`, body);
    expect(answer.json.error).toBe('LANG_ERROR');
  });

  it('answers 400 INVALID_REQUEST for a JSON body that does not parse', async () => {
    const sim = await start({ portals: [{ domain: A }] });
    const response = await fetch(`${sim.url}/portal/${A}/rest/server.time.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"auth": ',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('INVALID_REQUEST');
  });
});
