/** Workflow settings: description, tags, timeout, concurrency, error workflow, which
 * executions keep their data, time zone. Applied to the document (saved with it). */
import { useId, useState } from "react";

import { TagInput } from "../components/TagInput";
import { Button, inputClass } from "../components/ui";
import { useWorkflowTags } from "../workflows/api";
import { useWorkflowChoices } from "./api";
import { Dialog } from "./Dialog";
import type { WorkflowDoc } from "./model/document";
import type { WorkflowSettings } from "./types";

export interface SettingsDialogProps {
  doc: WorkflowDoc;
  workflowId: number;
  onApply: (change: Pick<WorkflowDoc, "description" | "tags" | "settings">) => void;
  onClose: () => void;
  /** Server messages by path (`settings.timeout_s`, `tags`). */
  errors?: Record<string, string>;
}

const SAVE_DATA: { value: NonNullable<WorkflowSettings["save_data"]>; label: string }[] = [
  { value: "all", label: "Every execution" },
  { value: "errors", label: "Failed executions only" },
  { value: "none", label: "None" },
];

function numberOrNull(text: string): number | null | "bad" {
  if (!text.trim()) return null;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : "bad";
}

export function SettingsDialog({ doc, workflowId, onApply, onClose, errors = {} }: SettingsDialogProps) {
  const s = doc.settings ?? {};
  const [description, setDescription] = useState(doc.description ?? "");
  const [tags, setTags] = useState<string[]>(doc.tags ?? []);
  const [timeout, setTimeoutText] = useState(s.timeout_s != null ? String(s.timeout_s) : "");
  const [concurrency, setConcurrency] = useState(s.concurrency != null ? String(s.concurrency) : "");
  const [errorWorkflow, setErrorWorkflow] = useState(s.error_workflow != null ? String(s.error_workflow) : "");
  const [saveData, setSaveData] = useState<string>(s.save_data ?? "all");
  const [timezone, setTimezone] = useState(s.timezone ?? "");
  const [problem, setProblem] = useState<Record<string, string>>({});
  const allTags = useWorkflowTags();
  const workflows = useWorkflowChoices(true);
  const id = useId();

  function apply() {
    const t = numberOrNull(timeout);
    const c = numberOrNull(concurrency);
    const problems: Record<string, string> = {};
    if (t === "bad") problems.timeout = "A number of seconds above 0, or empty for no limit.";
    if (c === "bad" || (typeof c === "number" && !Number.isInteger(c))) problems.concurrency = "A whole number above 0, or empty for no limit.";
    setProblem(problems);
    if (Object.keys(problems).length) return;
    const settings: WorkflowSettings = {
      ...s,
      timeout_s: t as number | null,
      concurrency: c as number | null,
      error_workflow: errorWorkflow ? Number(errorWorkflow) : null,
      save_data: saveData as WorkflowSettings["save_data"],
      timezone: timezone.trim() || null,
    };
    onApply({ description, tags, settings });
    onClose();
  }

  const field = (name: string, label: string, control: React.ReactNode, hint?: string, error?: string) => (
    <div className="space-y-1">
      <label htmlFor={`${id}-${name}`} className="block text-sm font-medium">
        {label}
      </label>
      {control}
      {hint && <p className="text-xs text-zinc-500 dark:text-zinc-400">{hint}</p>}
      {error && <p className="text-sm text-red-600 dark:text-red-400">{error}</p>}
    </div>
  );

  return (
    <Dialog
      title="Workflow settings"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" onClick={apply}>
            Apply
          </Button>
        </>
      }
    >
      <div className="space-y-4">
        {field("description", "Description", <textarea id={`${id}-description`} data-autofocus rows={2} value={description} onChange={(e) => setDescription(e.target.value)} className={inputClass} />)}
        <TagInput label="Tags" value={tags} onChange={setTags} suggestions={(allTags.data ?? []).map((t) => t.tag)} error={errors.tags} />
        <div className="grid gap-4 sm:grid-cols-2">
          {field(
            "timeout",
            "Timeout (seconds)",
            <input id={`${id}-timeout`} inputMode="decimal" value={timeout} onChange={(e) => setTimeoutText(e.target.value)} aria-invalid={!!problem.timeout || undefined} className={inputClass} placeholder="No limit" />,
            "An execution running longer fails.",
            problem.timeout ?? errors["settings.timeout_s"],
          )}
          {field(
            "concurrency",
            "Concurrency",
            <input id={`${id}-concurrency`} inputMode="numeric" value={concurrency} onChange={(e) => setConcurrency(e.target.value)} aria-invalid={!!problem.concurrency || undefined} className={inputClass} placeholder="No limit" />,
            "At most this many executions at once; more wait in the queue.",
            problem.concurrency ?? errors["settings.concurrency"],
          )}
        </div>
        {field(
          "error-workflow",
          "Error workflow",
          <select id={`${id}-error-workflow`} value={errorWorkflow} onChange={(e) => setErrorWorkflow(e.target.value)} className={inputClass}>
            <option value="">None</option>
            {(workflows.data ?? [])
              .filter((w) => w.id !== workflowId)
              .map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
          </select>,
          "Runs (through its Error trigger) when an execution of this workflow fails.",
          errors["settings.error_workflow"],
        )}
        {field(
          "save-data",
          "Keep execution data of",
          <select id={`${id}-save-data`} value={saveData} onChange={(e) => setSaveData(e.target.value)} className={inputClass}>
            {SAVE_DATA.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>,
          "Executions not kept still show their steps, without items.",
          errors["settings.save_data"],
        )}
        {field(
          "timezone",
          "Time zone",
          <input id={`${id}-timezone`} value={timezone} onChange={(e) => setTimezone(e.target.value)} className={inputClass} placeholder="The server's (e.g. Europe/Paris)" />,
          "For schedules and `now` in expressions.",
          errors["settings.timezone"],
        )}
      </div>
    </Dialog>
  );
}
