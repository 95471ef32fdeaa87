import { Pause, Play, RefreshCw } from "lucide-react";
import { useId, useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router";

import { ErrorMessage } from "../components/ErrorMessage";
import { Button, focusRing, inputClass } from "../components/ui";
import { PageTitle } from "../pages/Placeholder";
import { useExecutions, useWorkflowNames, type ExecutionFilter } from "./api";
import { STATUSES, duration, errorText, isLive, type ExecutionStatus } from "./format";
import { StatusBadge } from "./StatusBadge";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** Filters live in the address (`?workflow_id=&status=`), so they can be linked to. */
export function readFilter(params: URLSearchParams): ExecutionFilter {
  const id = Number(params.get("workflow_id"));
  const status = params.get("status") as ExecutionStatus | null;
  return {
    workflowId: Number.isInteger(id) && id > 0 ? id : undefined,
    status: status && STATUSES.includes(status) ? status : undefined,
  };
}

export function ExecutionsPage() {
  const [params, setParams] = useSearchParams();
  const filter = useMemo(() => readFilter(params), [params]);
  const [paused, setPaused] = useState(false);
  const list = useExecutions(filter, !paused);
  const workflows = useWorkflowNames();
  const names = useMemo(() => new Map((workflows.data ?? []).map((w) => [w.id, w.name])), [workflows.data]);
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const anyLive = rows.some((e) => isLive(e.status));
  const workflowId = useId();
  const statusId = useId();

  function setFilter(key: "workflow_id" | "status", value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  }

  return (
    <section className="space-y-5">
      <div className="flex flex-wrap items-center gap-3">
        <PageTitle>Executions</PageTitle>
        <div className="ml-auto flex items-center gap-2">
          <span className="text-sm text-zinc-600 dark:text-zinc-400" aria-live="polite">
            {anyLive ? (paused ? "Auto-refresh paused" : "Refreshing every few seconds") : ""}
          </span>
          <Button
            onClick={() => setPaused((p) => !p)}
            aria-pressed={paused}
            title="Refresh the list every few seconds while an execution is running"
          >
            {paused ? <Play aria-hidden className="size-4" /> : <Pause aria-hidden className="size-4" />}
            {paused ? "Resume auto-refresh" : "Pause auto-refresh"}
          </Button>
          <Button onClick={() => list.refetch()} disabled={list.isFetching}>
            <RefreshCw aria-hidden className={`size-4 ${list.isFetching ? "animate-spin" : ""}`} />
            Refresh
          </Button>
        </div>
      </div>

      <div className="flex flex-wrap items-end gap-4" role="group" aria-label="Filters">
        <div className="space-y-1">
          <label htmlFor={workflowId} className="block text-sm font-medium">
            Workflow
          </label>
          <select
            id={workflowId}
            value={filter.workflowId ?? ""}
            onChange={(e) => setFilter("workflow_id", e.target.value)}
            className={`${inputClass} w-64`}
          >
            <option value="">All workflows</option>
            {filter.workflowId && !names.has(filter.workflowId) && (
              <option value={filter.workflowId}>Workflow {filter.workflowId}</option>
            )}
            {(workflows.data ?? []).map((w) => (
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
            onChange={(e) => setFilter("status", e.target.value)}
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
      </div>

      <ErrorMessage error={list.error} title="Could not load executions" />
      <ErrorMessage error={workflows.error} title="Could not load workflow names" />

      {list.isPending ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">Loading executions…</p>
      ) : rows.length === 0 ? (
        <p className="rounded-lg border border-zinc-200 p-6 text-center text-sm text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
          {filter.workflowId || filter.status ? "No execution matches." : "No executions yet."}
        </p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Executions, newest first</caption>
            <thead className="border-b border-zinc-200 text-xs uppercase text-zinc-500 dark:text-zinc-400 dark:border-zinc-800">
              <tr>
                <th scope="col" className="px-4 py-2">Execution</th>
                <th scope="col" className="px-4 py-2">Workflow</th>
                <th scope="col" className="px-4 py-2">Status</th>
                <th scope="col" className="px-4 py-2">Mode</th>
                <th scope="col" className="px-4 py-2">Started</th>
                <th scope="col" className="px-4 py-2">Duration</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id} className="border-b border-zinc-100 align-top last:border-0 dark:border-zinc-800">
                  <td className="px-4 py-2">
                    <Link
                      to={`/executions/${encodeURIComponent(e.id)}`}
                      className={`font-mono text-xs font-medium text-indigo-700 hover:underline dark:text-indigo-300 ${focusRing}`}
                    >
                      {e.id}
                    </Link>
                    {e.retry_of && <p className="text-xs text-zinc-500 dark:text-zinc-400">retry of {e.retry_of}</p>}
                  </td>
                  <td className="px-4 py-2 whitespace-nowrap">
                    {e.workflow_id == null
                      ? "—"
                      : `${names.get(e.workflow_id) ?? `Workflow ${e.workflow_id}`} (v${e.workflow_version})`}
                  </td>
                  <td className="px-4 py-2">
                    <StatusBadge status={e.status} />
                    {e.error && (
                      <p className="mt-1 max-w-xs truncate text-xs text-red-700 dark:text-red-400" title={errorText(e.error)}>
                        {errorText(e.error)}
                      </p>
                    )}
                  </td>
                  <td className="px-4 py-2">{e.mode}</td>
                  <td className="px-4 py-2 whitespace-nowrap">{dateFormat.format(new Date(e.started_at))}</td>
                  <td className="px-4 py-2 whitespace-nowrap tabular-nums">{duration(e.started_at, e.finished_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.hasNextPage && (
        <Button onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? "Loading…" : "Load more"}
        </Button>
      )}
    </section>
  );
}
