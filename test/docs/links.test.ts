import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The README and docs/*.md link to each other by file and #anchor: every relative link must name a file that
 * exists and, into a markdown file, a heading it has (GitHub's anchors: lower case, punctuation removed, each
 * space a '-', repeats numbered -1, -2 ...).
 */
const ROOT = join(import.meta.dirname, '../..');
const DOCS = join(ROOT, 'docs');
const FILES = [
  join(ROOT, 'README.md'),
  ...readdirSync(DOCS)
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(DOCS, name)),
];

/** The lines of a markdown text outside fenced code blocks. */
function proseLines(text: string): string[] {
  let fenced = false;
  return text.split('\n').filter((line) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    return !fenced;
  });
}

function headingAnchor(title: string): string {
  return title
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(readFileSync(file, 'utf8'))) {
    const heading = /^#{1,6} (.*)$/.exec(line);
    if (!heading?.[1]) continue;
    const anchor = headingAnchor(heading[1]);
    const n = seen.get(anchor) ?? 0;
    seen.set(anchor, n + 1);
    anchors.add(n === 0 ? anchor : `${anchor}-${n}`);
  }
  return anchors;
}

/** Every broken relative link of the README and docs/, as `file: target (why)`. */
function brokenLinks(): string[] {
  const broken: string[] = [];
  for (const file of FILES) {
    const prose = proseLines(readFileSync(file, 'utf8'))
      .join('\n')
      .replace(/`[^`\n]*`/g, '');
    for (const [, target = ''] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      const [path = '', anchor] = target.split('#');
      const into = path === '' ? file : join(dirname(file), decodeURIComponent(path));
      const where = `${relative(ROOT, file)}: ${target}`;
      if (!existsSync(into)) broken.push(`${where} (no such file)`);
      else if (anchor !== undefined && into.endsWith('.md') && !anchorsOf(into).has(anchor)) {
        broken.push(`${where} (no such heading)`);
      }
    }
  }
  return broken;
}

describe('docs: links between the README and docs/', () => {
  it('computes GitHub heading anchors', () => {
    expect(headingAnchor('Security: secrets at rest, key rotation, redaction')).toBe(
      'security-secrets-at-rest-key-rotation-redaction',
    );
    expect(headingAnchor('`failed`: what needs attention')).toBe('failed-what-needs-attention');
    expect(headingAnchor("A job's life")).toBe('a-jobs-life');
  });

  it('every relative link names an existing file and heading', () => {
    expect(FILES.length).toBeGreaterThan(2);
    expect(brokenLinks()).toEqual([]);
  });
});
