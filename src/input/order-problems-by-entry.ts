import type { InputProblem } from './input-error.js';

/**
 * Orders the problems of a file whose top level is an array by entry index (`label[3]...`), file-level problems
 * first; the order within one entry is kept.
 */
export function orderProblemsByEntry(label: string, problems: readonly InputProblem[]): InputProblem[] {
  const indexOf = (where: string): number => {
    if (!where.startsWith(label)) return -1;
    const match = /^\[(\d+)\]/.exec(where.slice(label.length));
    return match?.[1] === undefined ? -1 : Number(match[1]);
  };
  return problems
    .map((problem, order) => ({ problem, order, index: indexOf(problem.where) }))
    .sort((a, b) => a.index - b.index || a.order - b.order)
    .map((entry) => entry.problem);
}
