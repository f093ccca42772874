/** The shortest ROLLOUT_API_TOKEN accepted. */
export const MIN_TOKEN_LENGTH = 16;
/** The fewest different characters a ROLLOUT_API_TOKEN must have (`aaaaaaaaaaaaaaaa` has one). */
export const MIN_TOKEN_DISTINCT = 10;

/** How to make a good token, said with every refusal. */
export const TOKEN_HINT = 'make one with `openssl rand -base64 32`';

/**
 * What is wrong with an API token, or undefined when it is acceptable: at least {@link MIN_TOKEN_LENGTH}
 * characters, at least {@link MIN_TOKEN_DISTINCT} different ones, no whitespace or control characters (a
 * token pasted with a space or a line break cannot be sent in a `Bearer` header either). A rough floor against
 * placeholder values, not an entropy estimate: use a random token. Never quotes the token.
 */
export function apiTokenProblem(token: string): string | undefined {
  const chars = [...token];
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here.
  if (/[\s\u0000-\u001f\u007f-\u009f]/u.test(token)) return 'contains whitespace or control characters';
  if (chars.length < MIN_TOKEN_LENGTH) return `is shorter than ${MIN_TOKEN_LENGTH} characters`;
  const distinct = new Set(chars).size;
  if (distinct < MIN_TOKEN_DISTINCT)
    return `has only ${distinct} different characters (at least ${MIN_TOKEN_DISTINCT} are needed)`;
  return undefined;
}
