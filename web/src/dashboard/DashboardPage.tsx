import { Activity, AlertTriangle, Percent, Timer } from "lucide-react";
import { Suspense, lazy, useId, useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router";

import { AiSpend } from "../ai/AiSpend";
import { ErrorMessage } from "../components/ErrorMessage";
import { Card, focusRing, tableRowClass } from "../components/ui";
import { PageTitle } from "../pages/Placeholder";
import { useDashboard, type DashboardOut } from "./api";
import { PeriodPicker } from "./PeriodPicker";
import { FailingTable, SlowestTable } from "./WorkflowTables";
import {
  CHART_STATUSES,
  chartRows,
  chartSummary,
  executionsHref,
  formatCount,
  formatMs,
  formatRate,
  readPeriod,
  type ChartRow,
  type Period,
} from "./format";

// recharts is big: fetched only when a chart is drawn, not with the first page.
const ExecutionsChart = lazy(() => import("./ExecutionsChart"));

// Links inside a sentence are underlined (not told apart by colour alone).
const linkClass = `text-indigo-700 underline dark:text-indigo-300 ${focusRing}`;

export function DashboardPage() {
  const [params, setParams] = useSearchParams();
  const period = readPeriod(params);
  const dashboard = useDashboard(period);
  const out = dashboard.data;

  function choose(next: Period) {
    const p = new URLSearchParams(params);
    p.set("period", next);
    setParams(p, { replace: true });
  }

  return (
    <section className="space-y-6" aria-busy={dashboard.isFetching}>
      <div className="flex flex-wrap items-center gap-3">
        <PageTitle>Dashboard</PageTitle>
        <div className="ml-auto">
          <PeriodPicker value={period} onChange={choose} />
        </div>
      </div>
      <ErrorMessage error={dashboard.error} title="Could not load the dashboard" />
      {!out && dashboard.isPending && <p className="text-sm text-zinc-500 dark:text-zinc-400">Loading figures…</p>}
      {out && <Figures out={out} period={period} />}
      {out && <AiSpend period={period} />}
    </section>
  );
}

function Figures({ out, period }: { out: DashboardOut; period: Period }) {
  const k = out.kpis;
  const ended = k.by_status.success + k.by_status.error + k.by_status.canceled;
  const live = k.by_status.queued + k.by_status.running + k.by_status.waiting;
  return (
    <>
      <ul className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4" aria-label="Key figures">
        <Kpi icon={Activity} label="Executions" value={formatCount(k.executions)}>
          {live > 0 ? `${formatCount(live)} still running or waiting` : "all ended"} ·{" "}
          <Link className={linkClass} to={executionsHref(out, period)}>
            Show them
          </Link>
        </Kpi>
        <Kpi icon={AlertTriangle} label="Failures" value={formatCount(k.failures)}>
          <Link className={linkClass} to={executionsHref(out, period, { status: "error" })}>
            Show failed executions
          </Link>
        </Kpi>
        <Kpi icon={Percent} label="Failure rate" value={formatRate(k.failure_rate)}>
          {ended > 0 ? `of ${formatCount(ended)} that ended` : "none ended yet"}
        </Kpi>
        <Kpi icon={Timer} label="Average run time" value={formatMs(k.avg_duration_ms)}>
          of successful and failed executions
        </Kpi>
      </ul>
      <OverTime out={out} />
      <div className="grid gap-6 xl:grid-cols-2">
        <SlowestTable out={out} period={period} />
        <FailingTable out={out} period={period} />
      </div>
    </>
  );
}

interface KpiProps {
  icon: typeof Activity;
  label: string;
  value: string;
  children: React.ReactNode;
}

function Kpi({ icon: Icon, label, value, children }: KpiProps) {
  return (
    <li>
      <Card className="h-full space-y-1 p-4!">
        <p className="flex items-center gap-2 text-sm font-medium text-zinc-600 dark:text-zinc-400">
          <Icon aria-hidden className="size-4" />
          {label}
        </p>
        <p className="text-3xl font-semibold tabular-nums">{value}</p>
        <p className="text-xs text-zinc-600 dark:text-zinc-400">{children}</p>
      </Card>
    </li>
  );
}

/** Executions per hour or day by status: the chart, or the same numbers as a table. */
function OverTime({ out }: { out: DashboardOut }) {
  const [asTable, setAsTable] = useState(false);
  const rows = useMemo(() => chartRows(out.series, out.bucket), [out]);
  const summary = chartSummary(out);
  const titleId = useId();
  const summaryId = useId();
  return (
    <Card className="space-y-3 p-4!">
      <div className="flex flex-wrap items-center gap-2">
        <h2 id={titleId} className="text-lg font-semibold">
          Executions per {out.bucket} by status
        </h2>
        <div role="group" aria-label="Show as" className="ml-auto flex gap-1">
          {(["Chart", "Table"] as const).map((label) => {
            const pressed = (label === "Table") === asTable;
            return (
              <button
                key={label}
                type="button"
                aria-pressed={pressed}
                onClick={() => setAsTable(label === "Table")}
                className={`rounded-md px-2.5 py-1 text-sm ${focusRing} ${
                  pressed
                    ? "bg-indigo-600 text-white"
                    : "text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
                }`}
              >
                {label}
              </button>
            );
          })}
        </div>
      </div>
      <p id={summaryId} className="text-sm text-zinc-600 dark:text-zinc-400">
        {summary} Times are {out.bucket === "day" ? "UTC days" : "hours in your time zone"}.
      </p>
      {asTable ? (
        <SeriesTable rows={rows} bucket={out.bucket} />
      ) : (
        <div role="img" aria-labelledby={titleId} aria-describedby={summaryId}>
          <Suspense fallback={<p className="h-72 text-sm text-zinc-500 dark:text-zinc-400">Drawing the chart…</p>}>
            <ExecutionsChart rows={rows} />
          </Suspense>
        </div>
      )}
    </Card>
  );
}

function SeriesTable({ rows, bucket }: { rows: ChartRow[]; bucket: DashboardOut["bucket"] }) {
  return (
    // Scrolls on its own: focusable, so the keyboard can scroll it too.
    <div className={`max-h-96 overflow-auto ${focusRing}`} tabIndex={0} role="region" aria-label={`Executions per ${bucket}, table`}>
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Executions per {bucket} by status</caption>
        <thead className="sticky top-0 border-b border-zinc-200 bg-white text-xs uppercase text-zinc-500 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-400">
          <tr>
            <th scope="col" className="px-3 py-2">
              {bucket === "day" ? "Day (UTC)" : "Hour"}
            </th>
            {CHART_STATUSES.map((s) => (
              <th key={s.key} scope="col" className="px-3 py-2 text-right">
                {s.label}
              </th>
            ))}
            <th scope="col" className="px-3 py-2 text-right">
              Total
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.title} className={tableRowClass}>
              <th scope="row" className="px-3 py-1.5 font-normal whitespace-nowrap">
                {r.title}
              </th>
              {CHART_STATUSES.map((s) => (
                <td key={s.key} className="px-3 py-1.5 text-right tabular-nums">
                  {formatCount(r[s.key])}
                </td>
              ))}
              <td className="px-3 py-1.5 text-right font-medium tabular-nums">{formatCount(r.total)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
