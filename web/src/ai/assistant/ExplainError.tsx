/** "Explain this error" on a failed step: the AI assistant's explanation and what to try. An
 * explanation belongs to one step of one execution: another run's failure starts afresh. */
import { Loader2, Sparkles } from "lucide-react";
import { useState } from "react";

import { useMe } from "../../auth/session";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Button } from "../../components/ui";
import { explainError, notSetUp, type ExplainOut } from "./api";

interface ExplainErrorProps {
  executionId: string;
  nodeId: string;
}

export function ExplainError(props: ExplainErrorProps) {
  return <StepExplanation key={`${props.executionId}\n${props.nodeId}`} {...props} />;
}

function StepExplanation({ executionId, nodeId }: ExplainErrorProps) {
  const [busy, setBusy] = useState(false);
  const [out, setOut] = useState<ExplainOut | null>(null);
  const [error, setError] = useState<unknown>(null);
  // Viewers read executions but do not spend on the model.
  const me = useMe();
  const allowed = !!me.data && me.data.role !== "viewer";

  async function ask() {
    setBusy(true);
    setError(null);
    try {
      setOut(await explainError(executionId, nodeId));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  if (!allowed) return null;
  return (
    <div className="mt-1 space-y-1 font-sans text-xs font-normal">
      {!out && (
        <Button variant="ghost" className="px-1.5 py-0.5 text-xs" onClick={() => void ask()} disabled={busy}>
          {busy ? <Loader2 aria-hidden className="size-3 animate-spin" /> : <Sparkles aria-hidden className="size-3" />}
          {busy ? "Explaining…" : "Explain this error"}{" "}
          <span className="sr-only">of {nodeId}</span>
        </Button>
      )}
      {error ? <ErrorMessage error={error} title={notSetUp(error) ? "The AI assistant is not set up" : "No explanation"} /> : null}
      {out && (
        <div role="region" aria-label={`Explanation of the error of ${nodeId}`} className="rounded-md border border-violet-200 bg-violet-50 p-2 text-zinc-800 dark:border-violet-900 dark:bg-violet-950/50 dark:text-zinc-100">
          <p className="whitespace-pre-line">{out.explanation}</p>
          {(out.suggestions ?? []).length > 0 && (
            <>
              <p className="mt-1 font-medium">Try:</p>
              <ul className="list-disc pl-4">
                {(out.suggestions ?? []).map((s, i) => (
                  <li key={i}>{s}</li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </div>
  );
}
