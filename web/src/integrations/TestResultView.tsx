import { CheckCircle2, CircleHelp, XCircle } from "lucide-react";

import type { TestResult } from "./api";

export function testSummary(r: TestResult): string {
  if (!r.supported) return "Not testable";
  return r.ok ? "Connected" : "Failed";
}

/** A connection test's answer, announced when it arrives. */
export function TestResultView({ result }: { result: TestResult }) {
  const Icon = !result.supported ? CircleHelp : result.ok ? CheckCircle2 : XCircle;
  const tone = !result.supported
    ? "border-zinc-300 bg-zinc-50 text-zinc-800 dark:border-zinc-700 dark:bg-zinc-800 dark:text-zinc-200"
    : result.ok
      ? "border-emerald-300 bg-emerald-50 text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-200"
      : "border-red-300 bg-red-50 text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200";
  return (
    <div role="status" aria-label="Connection test result" className={`rounded-md border p-3 text-sm ${tone}`}>
      <p className="flex items-start gap-2">
        <Icon aria-hidden className="mt-0.5 size-4 shrink-0" />
        <span>
          <strong>{testSummary(result)}</strong>
          {result.message && `: ${result.message}`}
        </span>
      </p>
    </div>
  );
}
