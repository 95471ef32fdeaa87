/** Pure helpers of the Executions pages: durations, statuses, item tables. */
import type { components } from "../api/schema";

export type ExecutionStatus = components["schemas"]["ExecutionSummary"]["status"];
export type StepStatus = components["schemas"]["StepOut"]["status"];

export const STATUSES: ExecutionStatus[] = ["queued", "running", "waiting", "success", "error", "canceled"];

/** Still going: the list keeps polling while one of these is shown. */
export function isLive(status: string): boolean {
  return status === "queued" || status === "running" || status === "waiting";
}

/** The server retries failed or canceled executions (409 otherwise). */
export function canRetry(status: string): boolean {
  return status === "error" || status === "canceled";
}

/** "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min"; from start to end (or to now). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const total = Math.floor(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, "0")} min`;
  return `${m} min ${String(sec).padStart(2, "0")} s`;
}

export function duration(started: string, finished: string | null | undefined, now = Date.now()): string {
  const start = Date.parse(started);
  const end = finished ? Date.parse(finished) : now;
  const text = formatDuration(end - start);
  return finished ? text : `${text} so far`;
}

const badge: Record<string, string> = {
  success: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
  error: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300",
  running: "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300",
  queued: "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300",
  waiting: "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300",
  canceled: "bg-zinc-200 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-400",
  skipped: "bg-zinc-100 text-zinc-500 dark:bg-zinc-800 dark:text-zinc-400",
};

export function badgeClass(status: string): string {
  return badge[status] ?? badge.queued!;
}

/** The columns of an item table: every key of every item, in the order first seen. */
export function itemColumns(items: unknown[]): string[] {
  const seen = new Set<string>();
  for (const item of items) {
    if (item && typeof item === "object" && !Array.isArray(item)) {
      for (const key of Object.keys(item)) seen.add(key);
    }
  }
  return [...seen];
}

/** One cell: strings as they are, anything else as compact JSON; missing is empty. */
export function cellText(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** An error object ({message, type, …}) as one line. */
export function errorText(error: Record<string, unknown> | null | undefined): string {
  if (!error) return "";
  const message = typeof error.message === "string" ? error.message : "";
  const type = typeof error.type === "string" ? error.type : "";
  if (message) return type ? `${type}: ${message}` : message;
  return JSON.stringify(error);
}
