/** "Describe a workflow": a description in words → a draft from the AI assistant (validated
 * by the server before it is shown) → the nodes it adds, changes and removes → "Apply to
 * canvas" (one undoable change; saving stays the editor's normal Save). */
import { Loader2, Sparkles } from "lucide-react";
import { useId, useMemo, useState } from "react";

import { toApiError } from "../../api/errors";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Button, inputClass } from "../../components/ui";
import { Dialog } from "../../editor/Dialog";
import { docFrom, type WorkflowDoc } from "../../editor/model/document";
import { draftWorkflow, type DraftOut } from "./api";
import { draftDiff, type NodeChange } from "./draftDiff";

export interface DescribeDialogProps {
  current: WorkflowDoc;
  onApply: (draft: WorkflowDoc) => void;
  onClose: () => void;
}

const BADGE: Record<NodeChange, string> = {
  added: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200",
  changed: "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-200",
  removed: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200",
  same: "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300",
};

export function DescribeDialog({ current, onApply, onClose }: DescribeDialogProps) {
  const textId = useId();
  const [text, setText] = useState("");
  const hasNodes = current.nodes.length > 0;
  const [change, setChange] = useState(hasNodes);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [draft, setDraft] = useState<DraftOut | null>(null);
  const doc = useMemo(() => (draft ? docFrom(draft.document) : null), [draft]);
  const diff = useMemo(() => (doc ? draftDiff(change ? current : null, doc) : null), [doc, change, current]);

  async function ask() {
    setBusy(true);
    setError(null);
    setDraft(null);
    try {
      setDraft(await draftWorkflow(text.trim(), change ? (current as unknown as Record<string, unknown>) : null));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const notConfigured = error && toApiError(error).code === "assistant_not_configured";
  return (
    <Dialog
      title="Describe a workflow"
      wide
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button onClick={() => void ask()} disabled={busy || text.trim() === ""}>
            {busy ? <Loader2 aria-hidden className="size-4 animate-spin" /> : <Sparkles aria-hidden className="size-4" />}
            {busy ? "Drafting…" : draft ? "Draft again" : "Draft"}
          </Button>
          <Button variant="primary" disabled={!doc || busy} onClick={() => doc && onApply(doc)}>
            Apply to canvas
          </Button>
        </>
      }
    >
      <div className="space-y-3">
        <label htmlFor={textId} className="block text-sm font-medium">
          What should the workflow do?
        </label>
        <textarea
          id={textId}
          data-autofocus
          className={inputClass}
          rows={4}
          maxLength={4000}
          value={text}
          placeholder="When a GitHub issue is opened, classify it with AI and post bugs to #triage on Slack"
          onChange={(e) => setText(e.target.value)}
        />
        {hasNodes && (
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={change} onChange={(e) => setChange(e.target.checked)} />
            Change the current workflow (otherwise: replace it with a new draft)
          </label>
        )}
        <p className="text-xs text-zinc-500 dark:text-zinc-400">
          The model sees the node types, your integrations' names and the current nodes (secrets masked), never credentials. The draft is checked like a save
          before it is shown; nothing is saved until you save.
        </p>
        {error ? (
          <div className="space-y-1">
            <ErrorMessage error={error} title={notConfigured ? "The AI assistant is not set up" : "No draft"} />
          </div>
        ) : null}
        {diff && draft && (
          <section aria-label="Draft" className="space-y-2">
            <h3 className="text-sm font-semibold">
              Draft: {doc?.name} <span className="font-normal text-zinc-500">({draft.attempts === 1 ? "first answer" : `${draft.attempts} model calls`})</span>
            </h3>
            <ul className="divide-y divide-zinc-200 rounded-md border border-zinc-200 text-sm dark:divide-zinc-800 dark:border-zinc-800">
              {diff.rows.map((row) => (
                <li key={`${row.change}-${row.id}`} className="flex items-center gap-2 px-3 py-1.5" data-change={row.change}>
                  <span className={`rounded px-1.5 text-xs ${BADGE[row.change]}`}>{row.change}</span>
                  <span className="font-medium">{row.name}</span>
                  <code className="ml-auto text-xs text-zinc-500">{row.type}</code>
                </li>
              ))}
            </ul>
            <p className="text-xs text-zinc-500 dark:text-zinc-400">
              Connections: {diff.connections.before} → {diff.connections.after}
            </p>
          </section>
        )}
      </div>
    </Dialog>
  );
}
