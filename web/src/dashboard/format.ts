/** Pure helpers of the Dashboard page: periods, numbers, the chart's rows, its text summary
 * and links into the Executions list. */
import { formatDuration } from "../executions/format";
import type { DashboardOut, SeriesPoint, StatusCounts } from "./api";

export const PERIODS = {
  "24h": "24 hours",
  "7d": "7 days",
  "30d": "30 days",
  "90d": "90 days",
} as const;

export type Period = keyof typeof PERIODS;
export const DEFAULT_PERIOD: Period = "24h";

export function readPeriod(params: URLSearchParams): Period {
  const value = params.get("period");
  return value !== null && Object.hasOwn(PERIODS, value) ? (value as Period) : DEFAULT_PERIOD;
}

/** Stacking order (bottom first) and colours, chosen to read on light and dark backgrounds. */
export const CHART_STATUSES: { key: keyof StatusCounts; label: string; color: string }[] = [
  { key: "success", label: "Success", color: "#10b981" },
  { key: "error", label: "Error", color: "#ef4444" },
  { key: "canceled", label: "Canceled", color: "#a1a1aa" },
  { key: "waiting", label: "Waiting", color: "#f59e0b" },
  { key: "running", label: "Running", color: "#0ea5e9" },
  { key: "queued", label: "Queued", color: "#818cf8" },
];

const count = new Intl.NumberFormat();
const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 });

export function formatCount(n: number): string {
  return count.format(n);
}

export function formatRate(rate: number | null | undefined): string {
  return rate == null ? "—" : percent.format(rate);
}

export function formatMs(ms: number | null | undefined): string {
  return ms == null ? "—" : formatDuration(ms);
}

const hourLabel = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const hourLong = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
// Day buckets are UTC days: name them in UTC, or a day would show as the evening before.
const dayLabel = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
const dayLong = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });

/** A bucket's name: short for the axis, long for the table and tooltip. */
export function bucketLabel(start: string, bucket: DashboardOut["bucket"], long = false): string {
  const d = new Date(start);
  if (bucket === "day") return (long ? dayLong : dayLabel).format(d);
  return (long ? hourLong : hourLabel).format(d);
}

export type ChartRow = { label: string; title: string; total: number } & StatusCounts;

export function chartRows(series: SeriesPoint[], bucket: DashboardOut["bucket"]): ChartRow[] {
  return series.map((p) => ({
    ...p.counts,
    label: bucketLabel(p.start, bucket),
    title: bucketLabel(p.start, bucket, true),
    total: CHART_STATUSES.reduce((sum, s) => sum + (p.counts[s.key] ?? 0), 0),
  }));
}

/** One sentence saying what the chart shows (its text alternative, with the table). */
export function chartSummary(out: DashboardOut): string {
  const rows = chartRows(out.series, out.bucket);
  const unit = out.bucket === "day" ? "day" : "hour";
  const total = rows.reduce((sum, r) => sum + r.total, 0);
  if (total === 0) return `No executions in this period (${rows.length} ${unit}s).`;
  const busiest = rows.reduce((a, b) => (b.total > a.total ? b : a));
  const errors = rows.reduce((sum, r) => sum + r.error, 0);
  return (
    `${formatCount(total)} executions over ${rows.length} ${unit}s, ${formatCount(errors)} failed; ` +
    `the busiest ${unit} was ${busiest.title} with ${formatCount(busiest.total)}.`
  );
}

/** The Executions list filtered like a figure of the dashboard: the same window (a moving
 * one when the list has the same preset), optionally one workflow and one status. */
export function executionsHref(
  out: Pick<DashboardOut, "since">,
  period: Period,
  filter: { workflowId?: number; status?: string } = {},
): string {
  const params = new URLSearchParams();
  if (filter.workflowId !== undefined) params.set("workflow_id", String(filter.workflowId));
  if (filter.status) params.set("status", filter.status);
  if (period === "24h" || period === "7d") params.set("period", period);
  else params.set("started_after", new Date(out.since).toISOString());
  return `/executions?${params.toString()}`;
}
