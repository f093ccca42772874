/** `serve` was asked to listen beyond loopback without ROLLOUT_API_TOKEN: it refuses to start. */
export class UnsafeBindError extends Error {
  override readonly name = 'UnsafeBindError';
}
