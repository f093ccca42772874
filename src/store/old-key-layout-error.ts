import { OperatorError } from '../errors/operator-error.js';

/**
 * Redis holds data under the key layout of a version before Redis Cluster support (no hash tags): this version
 * would not see it and would start over beside it. `found` is one of the old keys. The CLI exits 2, as for a
 * configuration to change (docs/operations.md, "Upgrading from the untagged key layout").
 */
export class OldKeyLayoutError extends OperatorError {
  override readonly name = 'OldKeyLayoutError' as const;
  readonly code = 'CONFIG_INVALID' as const;
  constructor(
    readonly prefix: string,
    readonly found: string,
  ) {
    super(
      `Redis holds data of an older version under ROLLOUT_PREFIX=${prefix} (found key ${found}), in the key ` +
        'layout before Redis Cluster support: finish or drop that rollout with the older version, or use a new ' +
        'ROLLOUT_PREFIX and run the rollout again (docs/operations.md, "Upgrading from the untagged key layout")',
    );
  }
}
