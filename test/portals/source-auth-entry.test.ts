import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatZodIssues } from '../../src/input/format-zod-issues.js';
import type { InputProblem } from '../../src/input/input-error.js';
import { InputError } from '../../src/input/input-error.js';
import { loadPortalsFile } from '../../src/portals/load-portals-file.js';
import { portalsFileSchema } from '../../src/portals/portal-entry-schema.js';

const DOMAIN = 'borrowed.bitrix24.com';
const SOURCE = { domain: DOMAIN, botId: 7, auth: { type: 'source' } };

function problemsOf(entries: unknown[], tokenSource: boolean): InputProblem[] {
  const result = portalsFileSchema({ allowHttp: false, tokenSource }).safeParse(entries);
  return result.success ? [] : formatZodIssues(result.error, 'portals.json');
}

describe('portals file: "auth": {"type": "source"}', () => {
  it('is accepted when a token source is configured, and carries no token', () => {
    const [entry] = portalsFileSchema({ allowHttp: false, tokenSource: true }).parse([SOURCE]);
    expect(entry?.auth).toEqual({ type: 'source' });
    expect(entry?.restUrl).toBe(`https://${DOMAIN}/rest/`);
  });

  it('is refused without a configured source, naming the portal and ROLLOUT_TOKEN_SOURCE_URL', () => {
    const problems = problemsOf([SOURCE], false);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.where).toBe('portals.json[0].auth.type');
    expect(problems[0]?.message).toContain(`portal ${DOMAIN}`);
    expect(problems[0]?.message).toContain('ROLLOUT_TOKEN_SOURCE_URL');
  });

  it('is refused when it also holds a refresh token (or an access token), naming the portal and never the token', () => {
    const problems = problemsOf(
      [
        {
          ...SOURCE,
          auth: { type: 'source', refreshToken: 'REFRESH-VALUE-1', accessToken: 'ACCESS-VALUE-1' },
        },
      ],
      true,
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]?.where).toBe('portals.json[0].auth');
    expect(problems[0]?.message).toContain(
      `portal ${DOMAIN} has "type": "source" and also refreshToken and accessToken`,
    );
    expect(problems[0]?.message).toContain('docs/tokens.md');
    expect(JSON.stringify(problems)).not.toMatch(/REFRESH-VALUE-1|ACCESS-VALUE-1/);
  });

  it('refuses any other key of a source auth', () => {
    const problems = problemsOf([{ ...SOURCE, auth: { type: 'source', url: 'https://x' } }], true);
    expect(problems.map((p) => p.where)).toEqual(['portals.json[0].auth.url']);
  });

  it('loadPortalsFile follows the configuration: refused without a source, read with one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'source-auth-'));
    try {
      const path = join(dir, 'portals.json');
      await writeFile(path, JSON.stringify([SOURCE]));
      const refused = await loadPortalsFile(path, { allowHttp: false, maxFileBytes: 1_000_000 }).catch(
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(InputError);
      expect((refused as Error).message).toContain('ROLLOUT_TOKEN_SOURCE_URL');
      const read = await loadPortalsFile(path, {
        allowHttp: false,
        tokenSource: true,
        maxFileBytes: 1_000_000,
      });
      expect(read[0]?.auth).toEqual({ type: 'source' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
