/** The simulator options are invalid; `message` names the option and what is allowed. */
export class SimulatorConfigError extends Error {
  override readonly name = 'SimulatorConfigError' as const;
}
