import { Play } from "lucide-react";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";

import { ErrorMessage } from "../components/ErrorMessage";
import { Button, inputClass } from "../components/ui";
import { useExecuteWorkflow, type ExecutionOut, type WorkflowOut } from "./api";

/** Parse the input box: JSON (an object is one item, a list one item per element). */
export function parseInput(text: string): { value?: unknown; error?: string } {
  if (!text.trim()) return { value: {} };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    return { error: `input: not valid JSON (${e instanceof Error ? e.message : String(e)})` };
  }
}

export interface ExecuteDialogProps {
  workflow: WorkflowOut;
  onStarted: (execution: ExecutionOut) => void;
  onClose: () => void;
}

/** Run a workflow by hand with an input the user can edit. */
export function ExecuteDialog({ workflow, onStarted, onClose }: ExecuteDialogProps) {
  const execute = useExecuteWorkflow();
  const [text, setText] = useState("{}");
  const [parseError, setParseError] = useState("");
  const titleId = useId();
  const inputId = useId();
  const inputRef = useRef<HTMLTextAreaElement>(null);
  useEffect(() => inputRef.current?.focus(), []);

  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = parseInput(text);
    setParseError(parsed.error ?? "");
    if (parsed.error) return;
    execute.mutate(
      { id: workflow.id, input: parsed.value },
      {
        onSuccess: (e) => {
          onStarted(e);
          onClose();
        },
      },
    );
  }

  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-black/40 p-4">
      <form
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        onSubmit={submit}
        onKeyDown={(e) => e.key === "Escape" && onClose()}
        className="w-full max-w-lg space-y-3 rounded-lg bg-white p-6 shadow-xl dark:bg-zinc-900"
      >
        <h2 id={titleId} className="text-lg font-semibold">
          Execute “{workflow.name}”
        </h2>
        <label htmlFor={inputId} className="block text-sm font-medium">
          Input (JSON: an object is one item, a list one item per element)
        </label>
        <textarea
          id={inputId}
          ref={inputRef}
          rows={8}
          value={text}
          onChange={(e) => setText(e.target.value)}
          className={`${inputClass} font-mono`}
          aria-invalid={parseError ? true : undefined}
        />
        {parseError && (
          <p role="alert" className="text-sm text-red-600 dark:text-red-400">
            {parseError}
          </p>
        )}
        <ErrorMessage error={execute.error} title="Could not execute" />
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={execute.isPending}>
            <Play aria-hidden className="size-4" />
            Run
          </Button>
        </div>
      </form>
    </div>
  );
}
