import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatZodIssues } from '../../src/input/format-zod-issues.js';
import { strictObject } from '../../src/input/strict-object.js';

function problems(schema: z.ZodType, value: unknown, file = 'f.json') {
  const result = schema.safeParse(value);
  if (result.success) throw new Error('expected a failure');
  return formatZodIssues(result.error, file);
}

describe('formatZodIssues', () => {
  it('renders the path after the file label: indexes in brackets, keys with dots', () => {
    const schema = z.array(z.object({ LANG: z.array(z.object({ TITLE: z.string() })) }));
    expect(problems(schema, [{ LANG: [] }, { LANG: [{ TITLE: 1 }] }], 'apps.json')).toEqual([
      { where: 'apps.json[1].LANG[0].TITLE', message: 'must be a string' },
    ]);
  });

  it('says "is required" for a missing key', () => {
    expect(problems(z.object({ botId: z.number() }), {})).toEqual([
      { where: 'f.json.botId', message: 'is required (a number)' },
    ]);
  });

  it('names each unknown key on its own, with the allowed keys from strictObject', () => {
    expect(
      problems(strictObject({ rate: z.number(), burst: z.number() }), { rate: 1, burst: 2, rte: 1, x: 2 }),
    ).toEqual([
      { where: 'f.json.rte', message: 'unknown key "rte"; allowed keys: rate, burst' },
      { where: 'f.json.x', message: 'unknown key "x"; allowed keys: rate, burst' },
    ]);
  });

  it('still names unknown keys of a plain z.strictObject', () => {
    expect(problems(z.strictObject({ a: z.string() }), { a: 'x', b: 1 })).toEqual([
      { where: 'f.json.b', message: 'unknown key "b"; remove it or fix its spelling' },
    ]);
  });

  it('lists enum values', () => {
    expect(problems(z.object({ m: z.enum(['PUT', 'SEND']) }), { m: 'GET' })).toEqual([
      { where: 'f.json.m', message: 'must be one of "PUT", "SEND"' },
    ]);
  });

  it('lists the values of a discriminator', () => {
    const schema = z.object({
      auth: z.discriminatedUnion('type', [
        z.object({ type: z.literal('oauth') }),
        z.object({ type: z.literal('webhook') }),
      ]),
    });
    expect(problems(schema, { auth: { type: 'basic' } })).toEqual([
      { where: 'f.json.auth.type', message: 'must be one of "oauth", "webhook"' },
    ]);
  });

  it('reduces a union to the branch the input was aiming at', () => {
    const schema = z.union([z.string(), strictObject({ path: z.string() })]);
    expect(problems(schema, { path: 5 })).toEqual([{ where: 'f.json.path', message: 'must be a string' }]);
    expect(problems(schema, 5)).toEqual([{ where: 'f.json', message: 'must be a string or an object' }]);
  });

  it('keeps messages the schema set', () => {
    const schema = z.object({ w: z.number().min(250, { error: 'must be >= 250 pixels' }) });
    expect(problems(schema, { w: 10 })).toEqual([{ where: 'f.json.w', message: 'must be >= 250 pixels' }]);
  });

  it('replaces zod default size messages with plain ones', () => {
    const schema = z.object({ s: z.string().min(1), a: z.array(z.number()).max(1), n: z.number().gt(0) });
    expect(problems(schema, { s: '', a: [1, 2], n: 0 })).toEqual([
      { where: 'f.json.s', message: 'must not be empty' },
      { where: 'f.json.a', message: 'must have at most 1 entries' },
      { where: 'f.json.n', message: 'must be more than 0' },
    ]);
  });

  it('never repeats the input value', () => {
    const secret = 'SECRET-TOKEN-0123456789';
    const schema = strictObject({ token: z.number(), kind: z.enum(['a']), when: z.iso.datetime() });
    const all = problems(schema, { token: secret, kind: secret, when: secret });
    for (const p of all) expect(p.message).not.toContain(secret);
  });
});
