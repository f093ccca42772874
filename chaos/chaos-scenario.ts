import type { RolloutCheck } from './check-rollout.js';

/** What a scenario's run learns: the shared end-of-run check plus what it injected. */
export interface ScenarioOutcome {
  check: RolloutCheck;
  /** What the scenario did and saw (kills, restarts, injected faults, refreshes...), for the JSON and the notes. */
  facts: Record<string, number | string | boolean>;
  /** Failed checks of the scenario itself, e.g. the fault never happened: a run that injected nothing proves nothing. */
  problems: string[];
  /** Temp dir with logs and the config, kept when the scenario failed. */
  dir: string;
}

export interface ScenarioContext {
  /** Seed of this run: fault draws, kill moments and victims. */
  seed: number;
  /** Simulated portals per scenario. */
  portals: number;
  /** Progress lines (stderr). */
  log(line: string): void;
}

export interface ChaosScenario {
  /** Short id (CHAOS_ONLY=name runs only this one). */
  name: string;
  /** Scenarios sharing a group run together when the group is named (`npm run chaos -- beside-backend`). */
  group?: string;
  /** The fault as the table shows it. */
  fault: string;
  run(context: ScenarioContext): Promise<ScenarioOutcome>;
}
