// A problem+json answer of the service in words for the user (no DOM: unit-tested under Node).

export interface FieldError {
  readonly path: string;
  readonly message: string;
}

interface ProblemBody {
  readonly code?: string;
  readonly title?: string;
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
}

/** A problem+json answer in one line: the code, the detail and every field the service named. */
export function describeProblem(status: number, body: unknown): string {
  const problem = (body ?? {}) as ProblemBody;
  if (!problem.code) return `HTTP ${status}`;
  const fields = (problem.errors ?? []).map((e) => `${e.path}: ${e.message}`).join('; ');
  return `${problem.code} (${status}): ${problem.detail ?? problem.title ?? ''}${fields ? ` ${fields}.` : ''}`;
}
