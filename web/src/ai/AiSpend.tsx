import { Link } from "react-router";

import { ErrorMessage } from "../components/ErrorMessage";
import { Card, focusRing, tableHeadClass, tableRowClass } from "../components/ui";
import { useUsage, type UsageGroupBy, type UsageReport } from "./api";
import { formatCost, formatTokens, fromDay, periodDays } from "./format";

const linkClass = `font-medium text-indigo-700 hover:underline dark:text-indigo-300 ${focusRing}`;

const TABLES: { groupBy: UsageGroupBy; title: string; column: string }[] = [
  { groupBy: "day", title: "AI spend by day (UTC)", column: "Day" },
  { groupBy: "workflow", title: "Top workflows by AI spend", column: "Workflow" },
  { groupBy: "model", title: "AI spend by model", column: "Model" },
  { groupBy: "template", title: "AI spend by prompt template", column: "Template" },
];

/** The dashboard's AI section: model calls' tokens and cost over the period's UTC days. */
export function AiSpend({ period }: { period: string }) {
  const from = fromDay(periodDays(period));
  return (
    <section aria-labelledby="ai-spend" className="space-y-3">
      <h2 id="ai-spend" className="text-xl font-semibold">
        AI spend
      </h2>
      <div className="grid gap-6 xl:grid-cols-2">
        {TABLES.map((t) => (
          <SpendTable key={t.groupBy} from={from} {...t} />
        ))}
      </div>
    </section>
  );
}

function SpendTable({ groupBy, title, column, from }: { groupBy: UsageGroupBy; title: string; column: string; from: string }) {
  const usage = useUsage(groupBy, from, groupBy === "day" ? 100 : 10);
  const report = usage.data;
  return (
    <Card className="space-y-3 p-4!">
      <h3 className="text-lg font-semibold">{title}</h3>
      <ErrorMessage error={usage.error} title="Could not load AI usage" />
      {report && report.groups.length === 0 && (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">No model calls since {from}.</p>
      )}
      {report && report.groups.length > 0 && <Rows report={report} column={column} title={title} />}
    </Card>
  );
}

function Rows({ report, column, title }: { report: UsageReport; column: string; title: string }) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm">
        <caption className="sr-only">{title}</caption>
        <thead className={tableHeadClass}>
          <tr>
            <th scope="col" className="px-3 py-2 text-left">{column}</th>
            <th scope="col" className="px-3 py-2 text-right">Calls</th>
            <th scope="col" className="px-3 py-2 text-right">Tokens in / out</th>
            <th scope="col" className="px-3 py-2 text-right">Cost</th>
          </tr>
        </thead>
        <tbody>
          {report.groups.map((g) => (
            <tr key={g.key ?? "none"} className={tableRowClass}>
              <th scope="row" className="px-3 py-2 text-left font-normal">
                {report.group_by === "workflow" && g.key ? (
                  <Link className={linkClass} to={`/workflows/${g.key}`}>
                    {g.label}
                  </Link>
                ) : (
                  g.label
                )}
              </th>
              <td className="px-3 py-2 text-right tabular-nums">{formatTokens(g.calls ?? 0)}</td>
              <td className="px-3 py-2 text-right tabular-nums">
                {formatTokens(g.input_tokens ?? 0)} / {formatTokens(g.output_tokens ?? 0)}
              </td>
              <td className="px-3 py-2 text-right tabular-nums">
                {formatCost(g.cost)}
                {(g.unpriced_calls ?? 0) > 0 && (
                  <span className="text-xs text-zinc-500 dark:text-zinc-400"> ({g.unpriced_calls} unpriced)</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr className="border-t border-zinc-200 font-medium dark:border-zinc-800">
            <th scope="row" className="px-3 py-2 text-left">Total</th>
            <td className="px-3 py-2 text-right tabular-nums">{formatTokens(report.total.calls ?? 0)}</td>
            <td className="px-3 py-2 text-right tabular-nums">
              {formatTokens(report.total.input_tokens ?? 0)} / {formatTokens(report.total.output_tokens ?? 0)}
            </td>
            <td className="px-3 py-2 text-right tabular-nums">{formatCost(report.total.cost)}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
