import { Link } from "react-router";

import { Card, focusRing, tableHeadClass, tableRowClass } from "../components/ui";
import type { DashboardOut } from "./api";
import { executionsHref, formatCount, formatMs, formatRate, type Period } from "./format";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const linkClass = `font-medium text-indigo-700 hover:underline dark:text-indigo-300 ${focusRing}`;

interface Props {
  out: DashboardOut;
  period: Period;
}

function Section({ title, empty, children }: { title: string; empty: string | null; children: React.ReactNode }) {
  return (
    <Card className="space-y-3 p-4!">
      <h2 className="text-lg font-semibold">{title}</h2>
      {empty ? <p className="text-sm text-zinc-600 dark:text-zinc-400">{empty}</p> : <div className="overflow-x-auto">{children}</div>}
    </Card>
  );
}

function WorkflowCell({ id, name }: { id: number; name: string }) {
  return (
    <th scope="row" className="px-3 py-2 text-left font-normal">
      <Link className={linkClass} to={`/workflows/${id}`}>
        {name}
      </Link>
    </th>
  );
}

/** Highest mean run time first, with the 95th percentile; links to the workflow and its runs. */
export function SlowestTable({ out, period }: Props) {
  return (
    <Section title="Slowest workflows" empty={out.slowest.length ? null : "No execution ended in this period."}>
      <table className="w-full text-sm">
        <caption className="sr-only">Slowest workflows, by average run time</caption>
        <thead className={tableHeadClass}>
          <tr>
            <th scope="col" className="px-3 py-2 text-left">Workflow</th>
            <th scope="col" className="px-3 py-2 text-right">Average</th>
            <th scope="col" className="px-3 py-2 text-right">p95</th>
            <th scope="col" className="px-3 py-2 text-right">Runs</th>
          </tr>
        </thead>
        <tbody>
          {out.slowest.map((w) => (
            <tr key={w.workflow_id} className={tableRowClass}>
              <WorkflowCell id={w.workflow_id} name={w.name} />
              <td className="px-3 py-2 text-right tabular-nums">{formatMs(w.avg_duration_ms)}</td>
              <td className="px-3 py-2 text-right tabular-nums">{formatMs(w.p95_duration_ms)}</td>
              <td className="px-3 py-2 text-right tabular-nums">
                <Link
                  className={linkClass}
                  to={executionsHref(out, period, { workflowId: w.workflow_id })}
                  aria-label={`${formatCount(w.executions)} executions of ${w.name}`}
                >
                  {formatCount(w.executions)}
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

/** Most failures first; links to the workflow and to its failed executions. */
export function FailingTable({ out, period }: Props) {
  return (
    <Section title="Most failing workflows" empty={out.failing.length ? null : "No failures in this period."}>
      <table className="w-full text-sm">
        <caption className="sr-only">Workflows with the most failed executions</caption>
        <thead className={tableHeadClass}>
          <tr>
            <th scope="col" className="px-3 py-2 text-left">Workflow</th>
            <th scope="col" className="px-3 py-2 text-right">Failures</th>
            <th scope="col" className="px-3 py-2 text-right">Rate</th>
            <th scope="col" className="px-3 py-2 text-right">Last failure</th>
          </tr>
        </thead>
        <tbody>
          {out.failing.map((w) => (
            <tr key={w.workflow_id} className={tableRowClass}>
              <WorkflowCell id={w.workflow_id} name={w.name} />
              <td className="px-3 py-2 text-right tabular-nums">
                <Link
                  className={linkClass}
                  to={executionsHref(out, period, { workflowId: w.workflow_id, status: "error" })}
                  aria-label={`${formatCount(w.failures)} failed executions of ${w.name}`}
                >
                  {formatCount(w.failures)}
                </Link>
                <span className="text-zinc-500 dark:text-zinc-400"> / {formatCount(w.executions)}</span>
              </td>
              <td className="px-3 py-2 text-right tabular-nums">{formatRate(w.failure_rate)}</td>
              <td className="px-3 py-2 text-right whitespace-nowrap">{dateFormat.format(new Date(w.last_failure_at))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
