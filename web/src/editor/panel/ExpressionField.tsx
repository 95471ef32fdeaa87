/** An expression input: CodeMirror with `{{ }}` marked, autocomplete from the last run's data
 * and the library's functions, and a debounced live preview of the value under it. */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { toApiError } from "../../api/errors";
import { CodeEditor } from "../../components/code/CodeEditor";
import type { ExpressionScope } from "../types";
import { completeExpression } from "./completion";
import { usePanel } from "./context";
import { previewExpression, type PreviewOut } from "./expressionsApi";
import { isExpression } from "./paramSchema";

/** How long typing must pause before the preview is asked for. */
export const PREVIEW_DELAY_MS = 400;

export interface ExpressionFieldProps {
  id: string;
  labelledBy: string;
  describedBy?: string | undefined;
  value: string;
  onChange: (value: string) => void;
  invalid?: boolean;
}

export function ExpressionField({ id, labelledBy, describedBy, value, onChange, invalid }: ExpressionFieldProps) {
  const { scope, functions, readOnly } = usePanel();
  const previewId = `${id}-preview`;
  const complete = useCallback((before: string) => completeExpression(before, scope, functions), [scope, functions]);
  return (
    <div className="space-y-1">
      <CodeEditor
        id={id}
        language="expression"
        labelledBy={labelledBy}
        describedBy={[describedBy, previewId].filter(Boolean).join(" ")}
        value={value}
        onChange={onChange}
        invalid={invalid}
        readOnly={readOnly}
        complete={complete}
        placeholder="{{ json.field }}"
      />
      <ExpressionPreview id={previewId} expression={value} scope={scope} />
    </div>
  );
}

type PreviewState = { state: "idle" } | { state: "loading" } | { state: "done"; out: PreviewOut } | { state: "failed"; message: string };

function formatValue(value: unknown): string {
  if (typeof value === "string") return value === "" ? '""' : value;
  const text = JSON.stringify(value, null, 1);
  return text === undefined ? String(value) : text;
}

/** The value the expression gives on the last run's data, asked for once typing pauses. */
export function ExpressionPreview({ id, expression, scope }: { id: string; expression: string; scope: ExpressionScope }) {
  const [preview, setPreview] = useState<PreviewState>({ state: "idle" });
  // The editor may hand a new but equal scope on each render: only a changed one re-asks.
  const scopeKey = useMemo(() => JSON.stringify(scope), [scope]);
  const latestScope = useRef(scope);
  latestScope.current = scope;
  useEffect(() => {
    if (!isExpression(expression)) {
      setPreview({ state: "idle" });
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      setPreview({ state: "loading" });
      previewExpression(expression, latestScope.current, controller.signal).then(
        (out) => controller.signal.aborted || setPreview({ state: "done", out }),
        (error: unknown) => controller.signal.aborted || setPreview({ state: "failed", message: toApiError(error).message }),
      );
    }, PREVIEW_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [expression, scopeKey]);

  let body: React.ReactNode = null;
  if (preview.state === "loading") body = <span className="text-zinc-500 dark:text-zinc-400">Evaluating…</span>;
  else if (preview.state === "failed") body = <span className="text-red-700 dark:text-red-400">Preview unavailable: {preview.message}</span>;
  else if (preview.state === "done" && !preview.out.ok) body = <span className="text-red-700 dark:text-red-400">Error: {preview.out.error}</span>;
  else if (preview.state === "done" && preview.out.ok) {
    const text = formatValue(preview.out.value);
    body = (
      <>
        <span className="text-zinc-500 dark:text-zinc-400">Result{preview.out.type ? ` (${preview.out.type})` : ""}: </span>
        <span className="whitespace-pre-wrap break-all font-mono">{text.length > 2000 ? `${text.slice(0, 2000)}…` : text}</span>
      </>
    );
  }
  return (
    <p id={id} aria-live="polite" className="min-h-4 text-xs">
      {body}
    </p>
  );
}
