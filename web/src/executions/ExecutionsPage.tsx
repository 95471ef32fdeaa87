import { RefreshCw } from "lucide-react";
import { useMemo, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";

import { useMe } from "../auth/session";
import { ErrorMessage } from "../components/ErrorMessage";
import { Button, focusRing, tableHeadClass } from "../components/ui";
import { usePageVisible } from "../components/usePageVisible";
import { PageTitle } from "../pages/Placeholder";
import {
  LIST_REFRESH_MS,
  useCancelExecution,
  useExecutions,
  useRetryExecution,
  useWorkflowNames,
  type ExecutionFilter,
  type ExecutionSummary,
} from "./api";
import { ExecutionFilters } from "./ExecutionFilters";
import { STATUSES, duration, errorText, type ExecutionStatus } from "./format";
import { RowActions } from "./RowActions";
import { StatusBadge } from "./StatusBadge";
import { isFiltered, rangeProblem, readTimeFilter, writeTimeFilter, type TimeFilter } from "./timeFilter";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** Filters live in the address (`?workflow_id=&status=&period=` or
 * `&started_after=&started_before=`), so they can be linked to (the dashboard does). */
export function readFilter(params: URLSearchParams): ExecutionFilter {
  const id = Number(params.get("workflow_id"));
  const status = params.get("status") as ExecutionStatus | null;
  return {
    workflowId: Number.isInteger(id) && id > 0 ? id : undefined,
    status: status && STATUSES.includes(status) ? status : undefined,
    time: readTimeFilter(params),
  };
}

export function ExecutionsPage() {
  const [params, setParams] = useSearchParams();
  const filter = useMemo(() => readFilter(params), [params]);
  const [autoRefresh, setAutoRefresh] = useState(true);
  const visible = usePageVisible();
  const list = useExecutions(filter, autoRefresh);
  const workflows = useWorkflowNames();
  const names = useMemo(() => new Map((workflows.data ?? []).map((w) => [w.id, w.name])), [workflows.data]);
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const me = useMe();
  const canAct = me.data ? me.data.role !== "viewer" : false;
  const actions = useRowActions();

  function setFilter(key: "workflow_id" | "status", value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  }
  function setTime(time: TimeFilter) {
    setParams(writeTimeFilter(params, time), { replace: true });
  }
  const refreshText = !autoRefresh
    ? "Auto-refresh is off"
    : visible
      ? `Refreshing every ${LIST_REFRESH_MS / 1000} s`
      : "Auto-refresh paused while this tab is hidden";
  const filtered = Boolean(filter.workflowId || filter.status || (filter.time && isFiltered(filter.time)));

  return (
    <section className="space-y-5">
      <div className="flex flex-wrap items-center gap-3">
        <PageTitle>Executions</PageTitle>
        <div className="ml-auto flex items-center gap-2">
          <span className="text-sm text-zinc-600 dark:text-zinc-400" aria-live="polite">
            {refreshText}
          </span>
          <Button
            onClick={() => setAutoRefresh((on) => !on)}
            aria-pressed={autoRefresh}
            title={`Ask for the list again every ${LIST_REFRESH_MS / 1000} seconds while this tab is visible`}
          >
            <span
              aria-hidden
              className={`inline-block size-2 rounded-full ${autoRefresh ? "bg-emerald-500" : "bg-zinc-400 dark:bg-zinc-500"}`}
            />
            Auto-refresh
          </Button>
          <Button onClick={() => list.refetch()} disabled={list.isFetching}>
            <RefreshCw aria-hidden className={`size-4 ${list.isFetching ? "animate-spin" : ""}`} />
            Refresh
          </Button>
        </div>
      </div>

      <ExecutionFilters
        filter={filter}
        workflows={workflows.data ?? []}
        onWorkflow={(v) => setFilter("workflow_id", v)}
        onStatus={(v) => setFilter("status", v)}
        onTime={setTime}
      />

      <p ref={actions.noticeRef} tabIndex={-1} role="status" aria-live="polite" className="min-h-5 text-sm text-emerald-700 dark:text-emerald-400">
        {actions.notice}
      </p>
      <ErrorMessage error={actions.cancel.error} title="Could not cancel" />
      <ErrorMessage error={actions.retry.error} title="Could not retry" />
      <ErrorMessage error={list.error} title="Could not load executions" />
      <ErrorMessage error={workflows.error} title="Could not load workflow names" />

      {filter.time && rangeProblem(filter.time) ? null : list.isPending ? (
        list.fetchStatus === "idle" ? null : <p className="text-sm text-zinc-500 dark:text-zinc-400">Loading executions…</p>
      ) : rows.length === 0 ? (
        <p className="rounded-lg border border-zinc-200 p-6 text-center text-sm text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
          {filtered ? "No execution matches." : "No executions yet."}
        </p>
      ) : (
        <ExecutionTable rows={rows} names={names} canAct={canAct} busy={actions.busy} onCancel={actions.onCancel} onRetry={actions.onRetry} />
      )}
      {list.hasNextPage && !(filter.time && rangeProblem(filter.time)) && (
        <Button onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? "Loading…" : "Load more"}
        </Button>
      )}
    </section>
  );
}

/** Cancel and retry from a row, with the outcome announced (and focused: the button that
 * was pressed may vanish once the row's status changes). */
function useRowActions() {
  const cancel = useCancelExecution();
  const retry = useRetryExecution();
  const [notice, setNoticeText] = useState<React.ReactNode>(null);
  const noticeRef = useRef<HTMLParagraphElement>(null);
  function setNotice(text: React.ReactNode) {
    setNoticeText(text);
    setTimeout(() => noticeRef.current?.focus(), 0);
  }
  function onCancel(e: ExecutionSummary) {
    retry.reset();
    cancel.mutate(e.id, { onSuccess: (out) => setNotice(`Execution ${out.id} is now ${out.status}.`) });
  }
  function onRetry(e: ExecutionSummary) {
    cancel.reset();
    retry.mutate(e.id, {
      onSuccess: (out) =>
        setNotice(
          <>
            Retry of {e.id} started:{" "}
            <Link className={`underline ${focusRing}`} to={`/executions/${encodeURIComponent(out.id)}`}>
              execution {out.id}
            </Link>{" "}
            ({out.status}).
          </>,
        ),
    });
  }
  return { cancel, retry, notice, noticeRef, onCancel, onRetry, busy: cancel.isPending || retry.isPending };
}

interface TableProps {
  rows: ExecutionSummary[];
  names: Map<number, string>;
  canAct: boolean;
  busy: boolean;
  onCancel: (e: ExecutionSummary) => void;
  onRetry: (e: ExecutionSummary) => void;
}

function ExecutionTable({ rows, names, canAct, busy, onCancel, onRetry }: TableProps) {
  return (
    <div className="overflow-x-auto rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Executions, newest first</caption>
        <thead className={tableHeadClass}>
          <tr>
            <th scope="col" className="px-4 py-2">Execution</th>
            <th scope="col" className="px-4 py-2">Workflow</th>
            <th scope="col" className="px-4 py-2">Status</th>
            <th scope="col" className="px-4 py-2">Mode</th>
            <th scope="col" className="px-4 py-2">Started</th>
            <th scope="col" className="px-4 py-2">Duration</th>
            {canAct && (
              <th scope="col" className="px-4 py-2 text-right">
                Actions
              </th>
            )}
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
                {e.workflow_id == null ? "—" : `${names.get(e.workflow_id) ?? `Workflow ${e.workflow_id}`} (v${e.workflow_version})`}
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
              {canAct && (
                <td className="px-4 py-1">
                  <RowActions execution={e} busy={busy} onCancel={onCancel} onRetry={onRetry} />
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
