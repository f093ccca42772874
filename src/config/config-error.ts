/** The configuration could not be resolved; `message` names every bad key and what is allowed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
