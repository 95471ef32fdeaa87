import { useId, type ReactNode } from "react";

import { inputClass } from "../components/ui";
import type { ExecutionFilter } from "./api";
import { STATUSES } from "./format";
import { PRESETS, fromLocalInput, rangeProblem, toLocalInput, type Preset, type TimeFilter } from "./timeFilter";

export interface ExecutionFiltersProps {
  filter: ExecutionFilter;
  workflows: { id: number; name: string }[];
  onWorkflow: (id: string) => void;
  onStatus: (status: string) => void;
  onTime: (time: TimeFilter) => void;
}

const TIME_CHOICES: { value: string; label: string }[] = [
  { value: "any", label: "Any time" },
  ...Object.entries(PRESETS).map(([value, p]) => ({ value, label: p.label })),
  { value: "custom", label: "Custom range…" },
];

/** Workflow, status and start time: each change goes into the address at once. */
export function ExecutionFilters({ filter, workflows, onWorkflow, onStatus, onTime }: ExecutionFiltersProps) {
  const names = new Set(workflows.map((w) => w.id));
  const time = filter.time ?? { kind: "any" };
  const selectedTime = time.kind === "preset" ? time.preset : time.kind;

  function chooseTime(value: string) {
    if (value === "any") onTime({ kind: "any" });
    else if (value === "custom") {
      // Start the custom range from what the preset showed, so it is never empty.
      const after = time.kind === "preset" ? new Date(Date.now() - PRESETS[time.preset].ms).toISOString() : undefined;
      onTime({ kind: "custom", after: after ?? new Date(Date.now() - PRESETS["24h"].ms).toISOString() });
    } else onTime({ kind: "preset", preset: value as Preset });
  }

  const workflowChoices = [
    { value: "", label: "All workflows" },
    ...(filter.workflowId && !names.has(filter.workflowId)
      ? [{ value: String(filter.workflowId), label: `Workflow ${filter.workflowId}` }]
      : []),
    ...workflows.map((w) => ({ value: String(w.id), label: w.name })),
  ];
  const statusChoices = [{ value: "", label: "Any status" }, ...STATUSES.map((s) => ({ value: s, label: s }))];

  return (
    <div className="flex flex-wrap items-end gap-4" role="group" aria-label="Filters">
      <Field label="Workflow">
        {(id) => (
          <Select id={id} value={String(filter.workflowId ?? "")} choices={workflowChoices} onChange={onWorkflow} width="w-64" />
        )}
      </Field>
      <Field label="Status">
        {(id) => <Select id={id} value={filter.status ?? ""} choices={statusChoices} onChange={onStatus} width="w-44" />}
      </Field>
      <Field label="Started">
        {(id) => <Select id={id} value={selectedTime} choices={TIME_CHOICES} onChange={chooseTime} width="w-44" />}
      </Field>
      {time.kind === "custom" && <CustomRange time={time} onTime={onTime} />}
    </div>
  );
}

/** A label above its control (the control gets the generated id). */
function Field({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      {children(id)}
    </div>
  );
}

function Select({
  id,
  value,
  choices,
  onChange,
  width,
}: {
  id: string;
  value: string;
  choices: { value: string; label: string }[];
  onChange: (value: string) => void;
  width: string;
}) {
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)} className={`${inputClass} ${width}`}>
      {choices.map((c) => (
        <option key={c.value} value={c.value}>
          {c.label}
        </option>
      ))}
    </select>
  );
}

function CustomRange({
  time,
  onTime,
}: {
  time: Extract<TimeFilter, { kind: "custom" }>;
  onTime: (time: TimeFilter) => void;
}) {
  const problemId = useId();
  const problem = rangeProblem(time);
  return (
    <>
      <Field label="Range start">
        {(id) => (
          <input
            id={id}
            type="datetime-local"
            value={toLocalInput(time.after)}
            onChange={(e) => onTime({ ...time, after: fromLocalInput(e.target.value) })}
            className={`${inputClass} w-56`}
          />
        )}
      </Field>
      <Field label="Range end">
        {(id) => (
          <input
            id={id}
            type="datetime-local"
            value={toLocalInput(time.before)}
            onChange={(e) => onTime({ ...time, before: fromLocalInput(e.target.value) })}
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? problemId : undefined}
            className={`${inputClass} w-56`}
          />
        )}
      </Field>
      {problem && (
        <p id={problemId} role="alert" className="w-full text-sm text-red-600 dark:text-red-400">
          {problem}
        </p>
      )}
    </>
  );
}
