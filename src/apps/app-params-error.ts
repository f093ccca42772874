/** A definition cannot be turned into method parameters (a programming error: load it with loadAppsFile first). */
export class AppParamsError extends Error {
  override readonly name = 'AppParamsError';
}
