/** The shortest ROLLOUT_API_TOKEN accepted. */
export const MIN_TOKEN_LENGTH = 16;
/** The fewest different characters a ROLLOUT_API_TOKEN must have (`aaaaaaaaaaaaaaaa` has one). */
export const MIN_TOKEN_DISTINCT = 10;

/** How to make a good token, said with every refusal. */
export const TOKEN_HINT = 'make one with `openssl rand -base64 32`';

/** Words that mark a value someone meant to replace. */
const PLACEHOLDER_WORDS = ['changeme', 'password', 'example', 'placeholder', 'replaceme'];
/** At least this share of a token's 3-character runs must differ (a random token's nearly all do). */
const MIN_DISTINCT_RUNS = 0.75;

/** The token's words: its letters and digits between separators, lower-cased; words under 3 characters skipped. */
function wordsOf(token: string): string[] {
  return token
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length >= 3);
}

/** The share of distinct 3-character runs among all of them (1 when every run differs). */
function distinctRunShare(chars: readonly string[]): number {
  const runs = new Set<string>();
  const total = chars.length - 2;
  for (let i = 0; i < total; i += 1) runs.add(`${chars[i]}${chars[i + 1]}${chars[i + 2]}`);
  return total <= 0 ? 1 : runs.size / total;
}

/**
 * What is wrong with an API token, or undefined when it is acceptable: at least {@link MIN_TOKEN_LENGTH}
 * characters, at least {@link MIN_TOKEN_DISTINCT} different ones, no whitespace or control characters (a
 * token pasted with a space or a line break cannot be sent in a `Bearer` header either), no placeholder word
 * (`changeme`, ...), no word twice (`changeme-changeme-please`) and no pattern repeated (at least 3 in 4 of its
 * 3-character runs differ). A floor against placeholder values, not an entropy estimate: use a random token.
 * Each refusal says the rule it applies and never quotes the token.
 */
export function apiTokenProblem(token: string): string | undefined {
  const chars = [...token];
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here.
  if (/[\s\u0000-\u001f\u007f-\u009f]/u.test(token)) return 'contains whitespace or control characters';
  if (chars.length < MIN_TOKEN_LENGTH) return `is shorter than ${MIN_TOKEN_LENGTH} characters`;
  const distinct = new Set(chars).size;
  if (distinct < MIN_TOKEN_DISTINCT)
    return `has only ${distinct} different characters (at least ${MIN_TOKEN_DISTINCT} are needed)`;
  const words = wordsOf(token);
  if (new Set(words).size < words.length) {
    return 'repeats a word (the words between "-", "_", "." and other separators must all differ, ignoring case): a placeholder is not a secret';
  }
  const lower = token.toLowerCase();
  if (PLACEHOLDER_WORDS.some((word) => lower.includes(word))) {
    return `contains a placeholder word (${PLACEHOLDER_WORDS.map((word) => `"${word}"`).join(', ')}): a placeholder is not a secret`;
  }
  if (distinctRunShare(chars) < MIN_DISTINCT_RUNS) {
    return 'is mostly repeated runs (at least 3 in 4 of its 3-character runs must differ): a pattern is not a secret';
  }
  return undefined;
}
