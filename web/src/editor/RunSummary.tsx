/** The last run over the canvas: its status (live), a link to its execution page, and a
 * button to clear its badges from the nodes. */
import { X } from "lucide-react";
import { Link } from "react-router";

import { focusRing } from "../components/ui";
import type { RunState } from "./model/run";

const COLOURS: Record<string, string> = {
  success: "border-emerald-300 bg-emerald-50 text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100",
  error: "border-red-300 bg-red-50 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100",
};

export function RunSummary({ run, onClear }: { run: RunState | null; onClear: () => void }) {
  if (!run) return null;
  const finished = [...run.nodes.values()].filter((n) => n.status !== "running").length;
  const message = typeof run.error?.message === "string" ? run.error.message : null;
  return (
    <div
      role="status"
      aria-live="polite"
      className={`absolute top-3 left-1/2 z-10 flex max-w-[80%] -translate-x-1/2 items-center gap-2 rounded-md border px-3 py-1.5 text-sm shadow ${
        COLOURS[run.status] ?? "border-sky-300 bg-sky-50 text-sky-900 dark:border-sky-800 dark:bg-sky-950 dark:text-sky-100"
      }`}
    >
      <span className="truncate">
        {run.done ? (
          <>
            Run {run.status === "success" ? "succeeded" : run.status === "error" ? "failed" : run.status}
            {message ? `: ${message}` : ""}
          </>
        ) : (
          <>Running… {finished} {finished === 1 ? "step" : "steps"} done</>
        )}
      </span>
      <Link to={`/executions/${encodeURIComponent(run.executionId)}`} className={`shrink-0 underline ${focusRing}`}>
        Execution details
      </Link>
      {run.done && (
        <button type="button" aria-label="Clear the run from the canvas" onClick={onClear} className={`shrink-0 rounded p-0.5 hover:bg-black/10 ${focusRing}`}>
          <X aria-hidden className="size-4" />
        </button>
      )}
    </div>
  );
}
