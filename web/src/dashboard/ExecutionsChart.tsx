/** Executions over time by status, as stacked bars (recharts). Loaded on demand by the
 * Dashboard page (React.lazy), so the charting library is not part of the first download. */
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { CHART_STATUSES, formatCount, type ChartRow } from "./format";

interface TipProps {
  active?: boolean;
  payload?: { payload?: ChartRow }[];
}

function Tip({ active, payload }: TipProps) {
  const row = payload?.[0]?.payload;
  if (!active || !row) return null;
  return (
    <div className="rounded-md border border-zinc-200 bg-white px-3 py-2 text-xs text-zinc-900 shadow-md dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100">
      <p className="mb-1 font-medium">{row.title}</p>
      <ul>
        {CHART_STATUSES.filter((s) => row[s.key] > 0).map((s) => (
          <li key={s.key} className="flex items-center gap-2">
            <span aria-hidden className="inline-block size-2 rounded-sm" style={{ background: s.color }} />
            {s.label}: {formatCount(row[s.key])}
          </li>
        ))}
        {row.total === 0 && <li>No executions</li>}
      </ul>
    </div>
  );
}

export default function ExecutionsChart({ rows }: { rows: ChartRow[] }) {
  // Colours of axes and grid follow the text colour of the container (light/dark themes).
  return (
    <div className="h-72 w-full text-zinc-600 dark:text-zinc-400">
      <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 800, height: 288 }}>
        <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} accessibilityLayer={false}>
          <CartesianGrid vertical={false} stroke="currentColor" strokeOpacity={0.2} />
          <XAxis dataKey="label" tick={{ fill: "currentColor", fontSize: 12 }} stroke="currentColor" minTickGap={16} />
          <YAxis allowDecimals={false} tick={{ fill: "currentColor", fontSize: 12 }} stroke="currentColor" width={48} />
          <Tooltip content={<Tip />} cursor={{ fill: "currentColor", fillOpacity: 0.08 }} isAnimationActive={false} />
          <Legend
            wrapperStyle={{ fontSize: 12 }}
            itemSorter={null}
            formatter={(value: string) => <span className="text-zinc-700 dark:text-zinc-300">{value}</span>}
          />
          {CHART_STATUSES.map((s) => (
            <Bar key={s.key} dataKey={s.key} name={s.label} stackId="status" fill={s.color} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
