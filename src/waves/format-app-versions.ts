import { sanitiseText } from '../ops/sanitise-text.js';
import type { AppVersionView } from './read-app-versions.js';

/** A definition hash as shown to an operator (its first 12 characters, as a conflict names it). */
const short = (defHash: string) => defHash.slice(0, 12);

/**
 * `status`: each CODE's stable definition against its plans in flight ('' when there is none), and where install
 * events take their apps from (docs/waves.md, "Stable definitions"; `events.appsFile` overrides).
 */
export function formatAppVersions(views: readonly AppVersionView[], appsFile: string | undefined): string {
  if (views.length === 0) return '';
  const lines = views.map((view) => {
    const stable = view.stable
      ? `stable ${short(view.stable.defHash)} from ${view.stable.planId} (${view.stable.source}; ${view.stable.how} ${view.stable.since})`
      : 'no stable definition yet';
    const flying = view.inFlight.map(
      (f) =>
        `${f.planId} (${f.source}) ${f.state}${f.single ? '' : ` at wave ${f.wave} of ${f.waves}`}: ` +
        `${short(f.defHash)}${f.sameAsStable ? ' (the stable one)' : ''}`,
    );
    return sanitiseText(
      `  ${view.code}: ${stable}; in flight: ${flying.length > 0 ? flying.join(', ') : 'none'}`,
    );
  });
  const installs = appsFile
    ? `install events take the apps of events.appsFile ${appsFile} instead`
    : views.some((view) => view.stable)
      ? 'install events queue the stable definitions'
      : 'no stable definition yet: install events queue the apps of the last plain rollout';
  return `\napps (stable definitions and plans in flight; ${sanitiseText(installs)}):\n${lines.join('\n')}\n`;
}
