import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appsFileSchema } from '../../src/apps/app-definition-schema.js';
import { loadAppsFile } from '../../src/apps/load-apps-file.js';
import { formatPath } from '../../src/input/format-path.js';
import { formatZodIssues } from '../../src/input/format-zod-issues.js';
import { InputError } from '../../src/input/input-error.js';
import {
  appsFileArb,
  BAD_LANG_VALUES,
  BAD_VALUES,
  type RawDefinition,
} from './support/app-definition-arbitraries.js';

const JS_FIELDS = [
  'CODE',
  'JS_METHOD',
  'JS_PARAM',
  'ICON_FILE',
  'CONTEXT',
  'EXTRANET_SUPPORT',
  'LIVECHAT_SUPPORT',
  'IFRAME_POPUP',
  'LANG',
];
const IFRAME_FIELDS = [
  'CODE',
  'IFRAME',
  'IFRAME_WIDTH',
  'IFRAME_HEIGHT',
  'HASH',
  'ICON_FILE',
  'CONTEXT',
  'HIDDEN',
  'EXTRANET_SUPPORT',
  'LIVECHAT_SUPPORT',
  'IFRAME_POPUP',
  'LANG',
];
const PIXELS = new Set(['IFRAME_WIDTH', 'IFRAME_HEIGHT']);
const DEFAULTS = { CONTEXT: 'BOT', EXTRANET_SUPPORT: 'N', LIVECHAT_SUPPORT: 'N', IFRAME_POPUP: 'N' };
const IFRAME_DEFAULTS = { HIDDEN: 'N', IFRAME_WIDTH: 350, IFRAME_HEIGHT: 250 };

/** One field of one definition replaced by an invalid value, with the path the refusal must name. */
interface Corruption {
  file: RawDefinition[];
  path: (string | number)[];
}

const corruptionArb: fc.Arbitrary<Corruption> = appsFileArb.chain((file) =>
  fc.nat({ max: file.length - 1 }).chain((index) => {
    const def = file[index] as RawDefinition;
    const fields = 'IFRAME' in def ? IFRAME_FIELDS : JS_FIELDS;
    const lang = Array.isArray(def['LANG']) ? (def['LANG'] as Record<string, unknown>[]) : [];
    const topLevel = fc.constantFrom(...fields).chain((field) => {
      const bad = BAD_VALUES[field];
      if (!bad) throw new Error(`no bad values for ${field}`);
      return bad(def).map((value) => ({
        file: file.map((d, i) => (i === index ? { ...d, [field]: value } : d)),
        path: [index, field],
      }));
    });
    if (lang.length === 0) return topLevel;
    const inLang = fc
      .tuple(fc.nat({ max: lang.length - 1 }), fc.constantFrom(...Object.keys(BAD_LANG_VALUES)))
      .chain(([entry, field]) =>
        (BAD_LANG_VALUES[field] as fc.Arbitrary<unknown>).map((value) => ({
          file: file.map((d, i) =>
            i === index
              ? { ...d, LANG: lang.map((l, j) => (j === entry ? { ...l, [field]: value } : l)) }
              : d,
          ),
          path: [index, 'LANG', entry, field],
        })),
      );
    return fc.oneof(topLevel, inLang);
  }),
);

/** True when `where` is the corrupted field, or a part of it (`ICON_FILE.path` for a bad ICON_FILE object). */
function names(where: string, path: readonly (string | number)[]): boolean {
  const field = `apps.json${formatPath(path)}`;
  return where === field || where.startsWith(`${field}.`) || where.startsWith(`${field}[`);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'app-schema-property-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('app definition schema (property-based)', () => {
  it('parses every valid generated apps file, keeping every field and filling the defaults', () => {
    fc.assert(
      fc.property(appsFileArb, (file) => {
        const parsed = appsFileSchema.safeParse(file);
        if (!parsed.success) {
          throw new Error(JSON.stringify(formatZodIssues(parsed.error, 'apps.json')));
        }
        expect(parsed.data).toHaveLength(file.length);
        parsed.data.forEach((out, i) => {
          const input = file[i] as RawDefinition;
          const expected = Object.fromEntries(
            Object.entries(input).map(([k, v]) => [
              k,
              PIXELS.has(k) && typeof v === 'string' ? Number(v) : v,
            ]),
          );
          expect(out).toEqual({ ...DEFAULTS, ...('IFRAME' in input ? IFRAME_DEFAULTS : {}), ...expected });
        });
      }),
      { numRuns: 500 },
    );
  });

  it('loads every valid generated apps file from disk (reader, scanner, icon check included)', async () => {
    await fc.assert(
      fc.asyncProperty(appsFileArb, async (file) => {
        const path = join(dir, 'apps.json');
        await writeFile(path, JSON.stringify(file, null, 2));
        const loaded = await loadAppsFile(path, { maxFileBytes: 10_000_000, maxIconBytes: 10_000 });
        expect(loaded.map((d) => d.CODE)).toEqual(file.map((d) => d['CODE']));
      }),
      { numRuns: 100 },
    );
  });

  it('rejects any single-field corruption, naming that field of that entry', () => {
    fc.assert(
      fc.property(corruptionArb, ({ file, path }) => {
        const parsed = appsFileSchema.safeParse(file);
        expect(parsed.success).toBe(false);
        if (parsed.success) return;
        const wheres = formatZodIssues(parsed.error, 'apps.json').map((p) => p.where);
        const entry = `apps.json[${path[0]}]`;
        expect(
          wheres.some((where) => names(where, path)),
          wheres.join(', '),
        ).toBe(true);
        // Nothing else is blamed: every problem is inside the corrupted entry.
        for (const where of wheres) expect(where.startsWith(entry), `${where} outside ${entry}`).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('loadAppsFile refuses a corrupted file whole, with the field in the InputError', async () => {
    await fc.assert(
      fc.asyncProperty(corruptionArb, async ({ file, path }) => {
        const target = join(dir, 'apps.json');
        await writeFile(target, JSON.stringify(file));
        const error = await loadAppsFile(target, { maxFileBytes: 10_000_000, maxIconBytes: 10_000 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(InputError);
        const wheres = (error as InputError).problems.map((p) => p.where);
        expect(
          wheres.some((where) => names(where, path)),
          wheres.join(', '),
        ).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
