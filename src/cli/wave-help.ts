import { WAVE_DEFAULTS } from '../waves/parse-wave-flags.js';

/** Help text of `rollout`'s wave flags (docs/waves.md). */
export const WAVE_HELP = {
  waves:
    'roll out in waves: cumulative percentages of the portals, e.g. 1%,10%,100% (stable order by a hash of the ' +
    'domain); a wave starts once the one before has settled under the thresholds (docs/waves.md)',
  haltFailures: `with --waves: halt when a settled wave has more failed pairs than this (default ${WAVE_DEFAULTS.haltFailures})`,
  haltNeedsReauth: `with --waves: halt when a settled wave has more pairs needing re-authorisation than this (default ${WAVE_DEFAULTS.haltNeedsReauth})`,
  pauseBetween: 'with --waves: wait this long between a passed wave and the next, e.g. 10m (default 0)',
  resume: 'continue a halted wave plan: the halted wave is accepted as it is, later waves are still checked',
  abort:
    'stop a wave plan: no further wave starts; the queued (waiting/delayed) jobs of its waves are removed and ' +
    'their pairs marked failed (ROLLOUT_ABORTED); running jobs finish',
  skipWave:
    "start a wave plan's next wave now: ends a pause or a halt, or stops waiting for the current wave (whose " +
    'pairs go on, unchecked)',
  promote:
    "make a finished plan's (or plain rollout's) definitions the stable ones: what a portal that installs the " +
    'application gets (a plan that ends done is made stable by itself; docs/waves.md)',
  after:
    '\nWaves: `rollout --apps a.json --portals p.json --waves 1%,10%,100% --halt-failures 5% --wait`; plans and ' +
    'their waves are shown by `status`; workers advance them. See docs/waves.md.',
} as const;
