import { useId } from "react";

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
  const workflowId = useId();
  const statusId = useId();
  const timeId = useId();
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

  return (
    <div className="flex flex-wrap items-end gap-4" role="group" aria-label="Filters">
      <div className="space-y-1">
        <label htmlFor={workflowId} className="block text-sm font-medium">
          Workflow
        </label>
        <select
          id={workflowId}
          value={filter.workflowId ?? ""}
          onChange={(e) => onWorkflow(e.target.value)}
          className={`${inputClass} w-64`}
        >
          <option value="">All workflows</option>
          {filter.workflowId && !names.has(filter.workflowId) && (
            <option value={filter.workflowId}>Workflow {filter.workflowId}</option>
          )}
          {workflows.map((w) => (
            <option key={w.id} value={w.id}>
              {w.name}
            </option>
          ))}
        </select>
      </div>
      <div className="space-y-1">
        <label htmlFor={statusId} className="block text-sm font-medium">
          Status
        </label>
        <select
          id={statusId}
          value={filter.status ?? ""}
          onChange={(e) => onStatus(e.target.value)}
          className={`${inputClass} w-44`}
        >
          <option value="">Any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div className="space-y-1">
        <label htmlFor={timeId} className="block text-sm font-medium">
          Started
        </label>
        <select id={timeId} value={selectedTime} onChange={(e) => chooseTime(e.target.value)} className={`${inputClass} w-44`}>
          {TIME_CHOICES.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
      </div>
      {time.kind === "custom" && <CustomRange time={time} onTime={onTime} />}
    </div>
  );
}

function CustomRange({
  time,
  onTime,
}: {
  time: Extract<TimeFilter, { kind: "custom" }>;
  onTime: (time: TimeFilter) => void;
}) {
  const fromId = useId();
  const toId = useId();
  const problemId = useId();
  const problem = rangeProblem(time);
  return (
    <>
      <div className="space-y-1">
        <label htmlFor={fromId} className="block text-sm font-medium">
          Range start
        </label>
        <input
          id={fromId}
          type="datetime-local"
          value={toLocalInput(time.after)}
          onChange={(e) => onTime({ ...time, after: fromLocalInput(e.target.value) })}
          className={`${inputClass} w-56`}
        />
      </div>
      <div className="space-y-1">
        <label htmlFor={toId} className="block text-sm font-medium">
          Range end
        </label>
        <input
          id={toId}
          type="datetime-local"
          value={toLocalInput(time.before)}
          onChange={(e) => onTime({ ...time, before: fromLocalInput(e.target.value) })}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? problemId : undefined}
          className={`${inputClass} w-56`}
        />
      </div>
      {problem && (
        <p id={problemId} role="alert" className="w-full text-sm text-red-600 dark:text-red-400">
          {problem}
        </p>
      )}
    </>
  );
}
