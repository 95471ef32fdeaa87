import { ArrowLeft, Ban, RotateCcw } from "lucide-react";
import { useRef, useState } from "react";
import { Link, useParams } from "react-router";

import { ExplainError } from "../ai/assistant/ExplainError";
import { usageLine } from "../ai/format";
import { ErrorMessage } from "../components/ErrorMessage";
import { ItemsView } from "../components/data/ItemsView";
import { Button, focusRing, tableHeadClass } from "../components/ui";
import { ReplayCanvas } from "../editor/ReplayCanvas";
import { PageTitle } from "../pages/Placeholder";
import {
  useCancelExecution,
  useExecution,
  useRetryExecution,
  useWorkflowNames,
  type ExecutionOut,
  type StepOut,
} from "./api";
import { canRetry, duration, errorText, isLive } from "./format";
import { StatusBadge } from "./StatusBadge";

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "medium" });

function stepKey(s: StepOut) {
  return `${s.node_id}#${s.run_index ?? 0}#${s.attempt}`;
}

export function ExecutionDetailPage() {
  const { id = "" } = useParams();
  const [paused, setPaused] = useState(false);
  const execution = useExecution(id, !paused);
  const cancel = useCancelExecution();
  const retry = useRetryExecution();
  const [notice, setNoticeText] = useState<React.ReactNode>(null);
  const noticeRef = useRef<HTMLParagraphElement>(null);
  // Cancel/Retry may vanish once they worked: keep the keyboard user's place on the result.
  function setNotice(text: React.ReactNode) {
    setNoticeText(text);
    setTimeout(() => noticeRef.current?.focus(), 0);
  }
  const [selected, setSelected] = useState<string | null>(null);
  const e = execution.data;

  return (
    <section className="space-y-5">
      <Link to="/executions" className={`inline-flex items-center gap-1 text-sm text-indigo-700 hover:underline dark:text-indigo-300 ${focusRing}`}>
        <ArrowLeft aria-hidden className="size-4" />
        All executions
      </Link>
      <div className="flex flex-wrap items-center gap-3">
        <PageTitle>Execution {id}</PageTitle>
        {e && <StatusBadge status={e.status} />}
        {e && (
          <div className="ml-auto flex gap-2">
            {isLive(e.status) && (
              <Button onClick={() => setPaused((p) => !p)} aria-pressed={paused}>
                {paused ? "Resume auto-refresh" : "Pause auto-refresh"}
              </Button>
            )}
            {isLive(e.status) && (
              <Button
                variant="danger"
                disabled={cancel.isPending}
                onClick={() =>
                  cancel.mutate(e.id, {
                    onSuccess: (out) => setNotice(`Canceled: the execution is now ${out.status}.`),
                  })
                }
              >
                <Ban aria-hidden className="size-4" />
                Cancel
              </Button>
            )}
            {canRetry(e.status) && (
              <Button
                disabled={retry.isPending}
                title="Run again from the failed step (a new execution)"
                onClick={() =>
                  retry.mutate(e.id, {
                    onSuccess: (out) =>
                      setNotice(
                        <>
                          Retry started:{" "}
                          <Link className="underline" to={`/executions/${encodeURIComponent(out.id)}`}>
                            execution {out.id}
                          </Link>{" "}
                          ({out.status}).
                        </>,
                      ),
                  })
                }
              >
                <RotateCcw aria-hidden className="size-4" />
                Retry
              </Button>
            )}
          </div>
        )}
      </div>

      <p ref={noticeRef} tabIndex={-1} role="status" aria-live="polite" className="min-h-5 text-sm text-emerald-700 dark:text-emerald-400">
        {notice}
      </p>
      <ErrorMessage error={cancel.error} title="Could not cancel" />
      <ErrorMessage error={retry.error} title="Could not retry" />
      <ErrorMessage error={execution.error} title="Could not load the execution" />

      {execution.isPending && <p className="text-sm text-zinc-500 dark:text-zinc-400">Loading…</p>}
      {e && <Summary e={e} />}
      {e && (
        <section aria-labelledby="replay-heading" className="space-y-2">
          <h2 id="replay-heading" className="text-lg font-semibold">
            The run on the workflow
          </h2>
          <p className="text-sm text-zinc-600 dark:text-zinc-400">Each node shows its status, items and time; click one to see its input, output and error.</p>
          <ReplayCanvas execution={e} />
        </section>
      )}
      {e && (
        <Steps
          executionId={e.id}
          steps={e.steps}
          selected={selected}
          onSelect={(k) => setSelected((current) => (current === k ? null : k))}
        />
      )}
      {e &&
        (() => {
          const step = e.steps.find((s) => stepKey(s) === selected);
          return step ? <StepOutput key={stepKey(step)} step={step} /> : null;
        })()}
      {e?.result != null && (
        <div className="rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900">
          <ItemsView
            label="Result"
            title="Result"
            ports={{ main: e.result }}
            truncated={e.result_truncated ?? false}
            truncatedNote="Truncated: only the first items of the result are shown."
            empty="No result."
          />
        </div>
      )}
    </section>
  );
}

function Summary({ e }: { e: ExecutionOut }) {
  const workflows = useWorkflowNames();
  const name = workflows.data?.find((w) => w.id === e.workflow_id)?.name;
  return (
    <div className="space-y-3">
      <dl className="grid grid-cols-2 gap-x-6 gap-y-2 text-sm sm:grid-cols-4">
        <div>
          <dt className="text-zinc-500 dark:text-zinc-400">Workflow</dt>
          <dd>
            {e.workflow_id == null ? (
              "—"
            ) : (
              <Link className={`text-indigo-700 hover:underline dark:text-indigo-300 ${focusRing}`} to={`/executions?workflow_id=${e.workflow_id}`}>
                {name ?? `Workflow ${e.workflow_id}`} (version {e.workflow_version})
              </Link>
            )}
          </dd>
        </div>
        <div>
          <dt className="text-zinc-500 dark:text-zinc-400">Mode</dt>
          <dd>{e.mode}</dd>
        </div>
        <div>
          <dt className="text-zinc-500 dark:text-zinc-400">Started</dt>
          <dd>{timeFormat.format(new Date(e.started_at))}</dd>
        </div>
        <div>
          <dt className="text-zinc-500 dark:text-zinc-400">Duration</dt>
          <dd className="tabular-nums">{duration(e.started_at, e.finished_at)}</dd>
        </div>
        {e.retry_of && (
          <div>
            <dt className="text-zinc-500 dark:text-zinc-400">Retry of</dt>
            <dd>
              <Link className="font-mono text-xs underline" to={`/executions/${encodeURIComponent(e.retry_of)}`}>
                {e.retry_of}
              </Link>
            </dd>
          </div>
        )}
      </dl>
      {e.error && (
        <div role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
          <p className="font-medium">The execution failed: {errorText(e.error)}</p>
        </div>
      )}
    </div>
  );
}

/** Steps with the parts of a step (an agent's model and tool calls, `parent_node_id` set)
 * right after their node's last row, in the order they ran. */
export function nested(steps: StepOut[]): StepOut[] {
  const parts = new Map<string, StepOut[]>();
  const top: StepOut[] = [];
  for (const s of steps) {
    if (s.parent_node_id) parts.set(s.parent_node_id, [...(parts.get(s.parent_node_id) ?? []), s]);
    else top.push(s);
  }
  const out: StepOut[] = [];
  top.forEach((s, i) => {
    out.push(s);
    const later = top.slice(i + 1).some((t) => t.node_id === s.node_id);
    if (!later && parts.has(s.node_id)) {
      out.push(...parts.get(s.node_id)!);
      parts.delete(s.node_id);
    }
  });
  for (const rest of parts.values()) out.push(...rest);
  return out;
}

function Steps({
  steps,
  selected,
  onSelect,
  executionId,
}: {
  executionId?: string;
  steps: StepOut[];
  selected: string | null;
  onSelect: (key: string) => void;
}) {
  if (steps.length === 0) return <p className="text-sm text-zinc-500 dark:text-zinc-400">No steps have run yet.</p>;
  return (
    <div className="overflow-x-auto rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
      <table className="w-full text-left text-sm">
        <caption className="px-4 py-2 text-left font-semibold">Steps</caption>
        <thead className={tableHeadClass}>
          <tr>
            <th scope="col" className="px-4 py-2">Node</th>
            <th scope="col" className="px-4 py-2">Status</th>
            <th scope="col" className="px-4 py-2">Attempt</th>
            <th scope="col" className="px-4 py-2">Started</th>
            <th scope="col" className="px-4 py-2">Duration</th>
            <th scope="col" className="px-4 py-2">Items</th>
            <th scope="col" className="px-4 py-2 text-right">Output</th>
          </tr>
        </thead>
        <tbody>
          {nested(steps).map((s) => {
            const key = stepKey(s);
            const part = s.parent_node_id ? s.node_id.slice(s.parent_node_id.length + 1) : null;
            const failed = s.status === "error";
            return (
              <tr
                key={key}
                className={`border-b border-zinc-100 align-top last:border-0 dark:border-zinc-800 ${
                  failed ? "bg-red-50 dark:bg-red-950/40" : ""
                }`}
              >
                <th scope="row" className={`py-2 pr-4 font-mono text-xs font-medium ${part ? "pl-10" : "pl-4"}`}>
                  {part ? (
                    <span title={s.node_id}>
                      <span aria-hidden="true" className="text-zinc-400">↳ </span>
                      <span className="sr-only">{s.parent_node_id} </span>
                      {part}
                    </span>
                  ) : (
                    s.node_id
                  )}
                  {(s.run_index ?? 0) > 0 && <span className="text-zinc-500 dark:text-zinc-400"> (run {(s.run_index ?? 0) + 1})</span>}
                  {failed && s.error && (
                    <p className="mt-1 font-sans text-xs font-normal text-red-700 dark:text-red-300">
                      {errorText(s.error)}
                    </p>
                  )}
                  {failed && executionId && <ExplainError executionId={executionId} nodeId={s.node_id} />}
                  {s.usage && <StepUsageLine usage={s.usage} />}
                </th>
                <td className="px-4 py-2">
                  <StatusBadge status={s.status} />
                </td>
                <td className="px-4 py-2 tabular-nums">{s.attempt}</td>
                <td className="px-4 py-2 whitespace-nowrap">{timeFormat.format(new Date(s.started_at))}</td>
                <td className="px-4 py-2 whitespace-nowrap tabular-nums">{duration(s.started_at, s.finished_at)}</td>
                <td className="px-4 py-2 tabular-nums">{s.items_out ?? 0}</td>
                <td className="px-4 py-2 text-right">
                  <Button
                    variant="ghost"
                    aria-expanded={selected === key}
                    aria-label={`${selected === key ? "Hide" : "Show"} output of ${s.node_id}`}
                    onClick={() => onSelect(key)}
                  >
                    {selected === key ? "Hide" : "Show"}
                  </Button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** A step's model calls: tokens and cost, with each model (and template) in a list. */
function StepUsageLine({ usage }: { usage: NonNullable<StepOut["usage"]> }) {
  return (
    <div className="mt-1 font-sans text-xs font-normal text-violet-800 dark:text-violet-300">
      <p>{usageLine(usage)}</p>
      {(usage.models ?? []).length > 1 && (
        <ul className="list-disc pl-4">
          {(usage.models ?? []).map((m) => (
            <li key={`${m.provider}/${m.model}/${m.template ?? ""}`}>
              {m.provider}/{m.model}
              {m.template ? ` (${m.template})` : ""}: {usageLine(m)}
            </li>
          ))}
        </ul>
      )}
      {(usage.models ?? []).length === 1 && (
        <p className="text-zinc-600 dark:text-zinc-400">
          {usage.models?.[0]?.provider}/{usage.models?.[0]?.model}
          {usage.models?.[0]?.template ? ` · template ${usage.models[0].template}` : ""}
        </p>
      )}
    </div>
  );
}

function StepOutput({ step }: { step: StepOut }) {
  return (
    <div className="rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900">
    <ItemsView
      label={`Output of ${step.node_id}`}
      title={
        <>
          Output of <code className="font-mono">{step.node_id}</code>
        </>
      }
      ports={step.output ?? null}
      truncated={step.truncated ?? false}
      truncatedNote={`Truncated: only the first items of a port are shown (${step.items_out ?? 0} in all).`}
      empty="This step has no output."
    />
    </div>
  );
}
