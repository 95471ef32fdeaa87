import { Ban, RotateCcw } from "lucide-react";

import { Button } from "../components/ui";
import type { ExecutionSummary } from "./api";
import { canRetry, isLive } from "./format";

export interface RowActionsProps {
  execution: ExecutionSummary;
  busy: boolean;
  onCancel: (e: ExecutionSummary) => void;
  onRetry: (e: ExecutionSummary) => void;
}

/** Cancel (queued, running, waiting) or retry (error, canceled) one execution from the list. */
export function RowActions({ execution: e, busy, onCancel, onRetry }: RowActionsProps) {
  return (
    <div className="flex justify-end gap-1">
      {isLive(e.status) && (
        <Button variant="ghost" disabled={busy} aria-label={`Cancel execution ${e.id}`} title="Cancel" onClick={() => onCancel(e)}>
          <Ban aria-hidden className="size-4 text-red-600 dark:text-red-400" />
          Cancel
        </Button>
      )}
      {canRetry(e.status) && (
        <Button
          variant="ghost"
          disabled={busy}
          aria-label={`Retry execution ${e.id}`}
          title="Run again from the failed step (a new execution)"
          onClick={() => onRetry(e)}
        >
          <RotateCcw aria-hidden className="size-4" />
          Retry
        </Button>
      )}
    </div>
  );
}
