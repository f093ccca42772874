import type { z } from 'zod';
import { formatPath } from './format-path.js';
import type { InputProblem } from './input-error.js';

type Issue = z.core.$ZodIssue;

/**
 * How a path is written after the label: `json` as in a JSON document (`apps.json[2].LANG[0].TITLE`, for input
 * files), `dotted` as in a configuration key or request field (`portalRate.rate`, `query.limit`,
 * `portals.0.clientId`). With an empty label a dotted path has no leading dot.
 */
export type ZodPathStyle = 'json' | 'dotted';

/**
 * Turns zod issues into actionable problems: the path is rendered after the file label (`apps.json[2].LANG[0]`),
 * each unknown key becomes its own problem (with the schema's list of allowed keys when it gives one, see
 * strictObject), enum and literal values are listed, unions are reduced to the branch the input was aiming at.
 * Messages set by the schemas are kept; zod's generic default messages are replaced. No message repeats the
 * input value (zod 4 does not put it in issues), so tokens cannot leak through here. The one place zod issues
 * become messages: input files, configuration, API requests, CLI options, the simulator's options.
 */
export function formatZodIssues(
  error: z.ZodError,
  file: string,
  options: {
    path?: ZodPathStyle;
    /** The message for an unknown key (default `unknown key "K"; remove it or fix its spelling`). */
    unknownKey?: string;
  } = {},
): InputProblem[] {
  const style = options.path ?? 'json';
  const render: Render = {
    where: (p) => {
      if (style === 'json') return `${file}${formatPath(p)}`;
      const parts = p.map(String);
      return file === '' ? parts.join('.') : [file, ...parts].join('.');
    },
    unknownKey: options.unknownKey,
  };
  const problems: InputProblem[] = [];
  for (const issue of error.issues) collect(issue, [], render, problems);
  return problems;
}

interface Render {
  where: (path: readonly PropertyKey[]) => string;
  unknownKey: string | undefined;
}

function collect(issue: Issue, prefix: readonly PropertyKey[], render: Render, out: InputProblem[]): void {
  const path = [...prefix, ...issue.path];
  const where = render.where;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const tail = /^Unrecognized keys?\b/.test(issue.message)
        ? 'remove it or fix its spelling'
        : issue.message;
      for (const key of issue.keys) {
        const message = render.unknownKey ?? `unknown key "${key}"; ${tail}`;
        out.push({ where: where([...path, key]), message });
      }
      return;
    }
    case 'invalid_union': {
      if (issue.discriminator !== undefined && issue.errors.length === 0) {
        const message = /^Invalid discriminator value/.test(issue.message)
          ? `must be ${oneOf('options' in issue ? (issue.options ?? []) : [])}`
          : issue.message;
        out.push({ where: where(path), message });
        return;
      }
      // The branches that got past the type check are the ones the input was aiming at.
      const aimed = issue.errors.filter(
        (branch) => !branch.every((i) => i.code === 'invalid_type' && i.path.length === 0),
      );
      const [only] = aimed;
      if (aimed.length === 1 && only !== undefined) {
        for (const inner of only) collect(inner, path, render, out);
        return;
      }
      if (issue.message !== 'Invalid input') {
        out.push({ where: where(path), message: issue.message });
        return;
      }
      const expected = issue.errors.flatMap((branch) =>
        branch.flatMap((i) =>
          i.code === 'invalid_type' && i.path.length === 0 ? [withArticle(i.expected)] : [],
        ),
      );
      out.push({
        where: where(path),
        message:
          expected.length > 0 ? `must be ${[...new Set(expected)].join(' or ')}` : 'has an unexpected shape',
      });
      return;
    }
    default:
      out.push({ where: where(path), message: messageFor(issue) });
  }
}

function messageFor(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (!/^Invalid input: expected /.test(issue.message)) return issue.message;
      return /received undefined$/.test(issue.message)
        ? `is required (${withArticle(issue.expected)})`
        : `must be ${withArticle(issue.expected)}`;
    case 'invalid_value':
      if (!/^Invalid (option|input)\b/.test(issue.message)) return issue.message;
      return `must be ${oneOf(issue.values)}`;
    case 'too_small':
      if (!/^Too small\b/.test(issue.message)) return issue.message;
      return bound('at least', 'more than', issue.origin, issue.minimum, issue.inclusive);
    case 'too_big':
      if (!/^Too big\b/.test(issue.message)) return issue.message;
      return bound('at most', 'less than', issue.origin, issue.maximum, issue.inclusive);
    case 'invalid_format':
      if (!/^Invalid\b/.test(issue.message)) return issue.message;
      return issue.format === 'regex' && issue.pattern !== undefined
        ? `must match ${issue.pattern}`
        : `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return /^Invalid\b/.test(issue.message) ? `must be a multiple of ${issue.divisor}` : issue.message;
    default:
      return issue.message;
  }
}

function bound(
  inclusiveWord: string,
  exclusiveWord: string,
  origin: string,
  limit: number | bigint,
  inclusive: boolean | undefined,
): string {
  const word = inclusive === false ? exclusiveWord : inclusiveWord;
  if (origin === 'string') {
    if (inclusiveWord === 'at least' && limit === 1 && inclusive !== false) return 'must not be empty';
    return `must have ${word} ${limit} characters`;
  }
  if (origin === 'array' || origin === 'set') return `must have ${word} ${limit} entries`;
  return `must be ${word} ${limit}`;
}

function oneOf(values: readonly unknown[]): string {
  const shown = values.map((v) => (typeof v === 'string' ? JSON.stringify(v) : String(v)));
  const [first] = shown;
  if (shown.length === 1 && first !== undefined) return first;
  return `one of ${shown.join(', ')}`;
}

function withArticle(expected: string): string {
  switch (expected) {
    case 'int':
      return 'an integer';
    case 'object':
    case 'array':
      return `an ${expected}`;
    case 'never':
      return 'absent';
    case 'undefined':
    case 'null':
      return expected;
    case 'boolean':
      return 'true or false';
    default:
      return `a ${expected}`;
  }
}
