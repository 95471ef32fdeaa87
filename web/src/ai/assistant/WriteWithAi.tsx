/** "Write with AI" beside an expression or code field: an instruction → an expression (or a
 * core.code snippet) the server has syntax-checked → "Use it" puts it in the field. The
 * field's current text goes along, so an instruction can also say what to change in it. */
import { Loader2, Sparkles } from "lucide-react";
import { useId, useState } from "react";

import { ErrorMessage } from "../../components/ErrorMessage";
import { Button, inputClass } from "../../components/ui";
import { notSetUp, writeWithAi, type WriteOut } from "./api";

export interface WriteWithAiProps {
  kind: "expression" | "code";
  nodeType?: string | undefined;
  paramName: string;
  /** The item the value will see (`json`), from the last run or the pinned data. */
  sample?: unknown;
  codeMode?: "once" | "per_item";
  /** The field's text now (changed as the instruction says; blank: written anew). */
  current?: string | undefined;
  onUse: (text: string) => void;
  onClose: () => void;
}

export function WriteWithAi({ kind, nodeType, paramName, sample, codeMode, current, onUse, onClose }: WriteWithAiProps) {
  const inputId = useId();
  const hintId = useId();
  const changing = !!current?.trim();
  const [instruction, setInstruction] = useState("");
  const [busy, setBusy] = useState(false);
  const [out, setOut] = useState<WriteOut | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function ask() {
    setBusy(true);
    setError(null);
    setOut(null);
    try {
      setOut(
        await writeWithAi({
          kind,
          instruction: instruction.trim(),
          context: {
            node_type: nodeType ?? null,
            param_name: paramName,
            sample_item: (sample ?? null) as never,
            code_mode: codeMode ?? "once",
            current: changing ? current : null,
          },
        }),
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    // Escape anywhere in the helper closes it (not the node panel around it).
    <div
      role="group"
      aria-label={`Write ${paramName} with AI`}
      onKeyDown={(e) => {
        if (e.key !== "Escape") return;
        e.stopPropagation();
        onClose();
      }}
      className="space-y-2 rounded-md border border-violet-200 bg-violet-50 p-2 dark:border-violet-900 dark:bg-violet-950/40">
      <label htmlFor={inputId} className="block text-xs font-medium">
        {kind === "code" ? "What should the code do?" : "What should the expression give?"}
      </label>
      <p id={hintId} className="text-xs text-zinc-600 dark:text-zinc-300">
        {changing ? `The current ${kind} goes along: say what to change in it, or ask for a new one. ` : ""}
        Nothing changes until you use the suggestion.
      </p>
      <div className="flex gap-1">
        <input
          id={inputId}
          aria-describedby={hintId}
          autoFocus
          className={inputClass}
          value={instruction}
          maxLength={4000}
          placeholder={kind === "code" ? "Keep the items whose total is over 100" : "The email in lower case"}
          onChange={(e) => setInstruction(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && instruction.trim() && !busy) {
              e.preventDefault();
              void ask();
            }
          }}
        />
        <Button onClick={() => void ask()} disabled={busy || !instruction.trim()}>
          {busy ? <Loader2 aria-hidden className="size-4 animate-spin" /> : <Sparkles aria-hidden className="size-4" />}
          Write
        </Button>
      </div>
      {error ? <ErrorMessage error={error} title={notSetUp(error) ? "The AI assistant is not set up" : "Nothing written"} /> : null}
      {out && (
        <div className="space-y-1">
          <pre aria-label="Suggested text" className="max-h-48 overflow-auto whitespace-pre-wrap rounded bg-white p-2 font-mono text-xs dark:bg-zinc-900">
            {out.text}
          </pre>
          <div className="flex gap-1">
            <Button variant="primary" onClick={() => onUse(out.text)}>
              Use it
            </Button>
            <Button variant="ghost" onClick={onClose}>
              Cancel
            </Button>
          </div>
        </div>
      )}
      {!out && (
        <Button variant="ghost" className="text-xs" onClick={onClose}>
          Close
        </Button>
      )}
    </div>
  );
}
