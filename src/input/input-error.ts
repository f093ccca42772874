/** One problem found in an input file: where it is (file label + path) and what is allowed / how to fix it. */
export interface InputProblem {
  /** File label followed by the path inside it, e.g. `apps.json[2].LANG[0].TITLE`; the bare label for the whole file. */
  where: string;
  message: string;
}

import { OperatorError } from '../errors/operator-error.js';

/**
 * An input file was refused as a whole: every problem found is listed, nothing of the file was used.
 * The message never contains token values or webhook codes (the producers only name keys, types and rules).
 */
export class InputError extends OperatorError {
  override readonly name = 'InputError' as const;
  readonly code = 'INPUT_INVALID' as const;
  readonly problems: InputProblem[];
  readonly file: string;

  constructor(file: string, problems: InputProblem[], options?: { cause?: unknown }) {
    super(summarise(file, problems), options);
    this.file = file;
    this.problems = problems;
  }
}

function summarise(file: string, problems: readonly InputProblem[]): string {
  const count = `${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}`;
  const lines = problems.map((p) => {
    const at = relativeWhere(file, p.where);
    return at === '' ? `  - ${p.message}` : `  - ${at}: ${p.message}`;
  });
  return [`${file}: ${count}, nothing was queued`, ...lines].join('\n');
}

/** `apps.json[2].IFRAME` -> `[2].IFRAME`; `apps.json.x` -> `x`; `apps.json` -> ''. Other labels are kept. */
function relativeWhere(file: string, where: string): string {
  if (!where.startsWith(file)) return where;
  const rest = where.slice(file.length);
  if (rest === '' || rest.startsWith('[')) return rest;
  if (rest.startsWith('.')) return rest.slice(1);
  return where;
}
