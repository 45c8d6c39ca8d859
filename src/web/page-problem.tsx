import { useCallback, useState } from "react";
import { isApexError } from "../protocol/errors.ts";

// The one problem line of a page (admin pages, datasets): the server's message of the last failed request, which says
// what to do, until the next request succeeds.

export interface PageProblem {
  problem: string | null;
  fail(error: unknown): void;
  clear(): void;
}

export function usePageProblem(): PageProblem {
  const [problem, setProblem] = useState<string | null>(null);
  const fail = useCallback((error: unknown) => setProblem(isApexError(error) ? error.message : String(error)), []);
  const clear = useCallback(() => setProblem(null), []);
  return { problem, fail, clear };
}

export function ProblemLine({ problem, testId }: { problem: string | null; testId: string }) {
  if (problem === null) return null;
  return (
    <p className="error" role="alert" data-testid={testId}>
      {problem}
    </p>
  );
}
