/** Thrown when a benchmark waited for a condition longer than it allows: the benchmark could not run. */
export class BenchTimeoutError extends Error {
  override readonly name = 'BenchTimeoutError';
}
