/**
 * Bitrix24's per-portal request limit (docs/bitrix24.md, "Limits"): each request adds 1, the level
 * drains by `drainPerSecond` per second, and a request that would push the level above `burst` is refused and
 * not counted. Time comes from the caller (the simulator's injected clock).
 */
export class LeakyBucket {
  #level = 0;
  #updatedAt: number | null = null;

  constructor(
    readonly burst: number,
    readonly drainPerSecond: number,
  ) {}

  /** Adds one request at `nowMs`; false (and no change) if it would exceed the burst. */
  tryTake(nowMs: number): boolean {
    this.#drain(nowMs);
    if (this.#level + 1 > this.burst) return false;
    this.#level += 1;
    return true;
  }

  /** The current level at `nowMs`. */
  level(nowMs: number): number {
    this.#drain(nowMs);
    return this.#level;
  }

  #drain(nowMs: number): void {
    if (this.#updatedAt !== null && nowMs > this.#updatedAt) {
      const elapsedSeconds = (nowMs - this.#updatedAt) / 1000;
      this.#level = Math.max(0, this.#level - elapsedSeconds * this.drainPerSecond);
    }
    if (this.#updatedAt === null || nowMs > this.#updatedAt) this.#updatedAt = nowMs;
  }
}
