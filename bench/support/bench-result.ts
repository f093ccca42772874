/** One target of the issue and what a run measured against it. A missed target is reported, never thrown. */
export interface BenchTarget {
  name: string;
  /** The target as stated, e.g. ">= 0.8 of raw BullMQ". */
  target: string;
  /** The measured figure, formatted. */
  measured: string;
  met: boolean;
}

/** What each benchmark hands back to run-all: a printed table, the targets and the raw figures for JSON. */
export interface BenchResult {
  /** File name of the JSON in bench/results/ (without .json). */
  id: string;
  title: string;
  headers: string[];
  rows: string[][];
  targets: BenchTarget[];
  /** Explanations printed under the table (what was measured, caveats). */
  notes: string[];
  /** Raw figures, written to the JSON as they are. */
  data: Record<string, unknown>;
}

/** What run-all gives each benchmark. */
export interface BenchContext {
  /** The private redis-server of this run. */
  redisUrl: string;
  /** Progress lines (stderr), so the tables on stdout stay clean. */
  log(line: string): void;
}
