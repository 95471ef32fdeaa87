/** The Executions list's time filter: presets relative to now, or a custom range, kept in the
 * address (`?period=24h`, or `?started_after=…&started_before=…` as ISO instants) and turned
 * into the API's `started_after` / `started_before` when the list is fetched. */

export const PRESETS = {
  "1h": { label: "Last hour", ms: 3_600_000 },
  "24h": { label: "Last 24 hours", ms: 86_400_000 },
  "7d": { label: "Last 7 days", ms: 7 * 86_400_000 },
} as const;

export type Preset = keyof typeof PRESETS;

export type TimeFilter =
  | { kind: "any" }
  | { kind: "preset"; preset: Preset }
  | { kind: "custom"; after?: string | undefined; before?: string | undefined };

export interface TimeQuery {
  started_after?: string | undefined;
  started_before?: string | undefined;
}

function isPreset(value: string | null): value is Preset {
  return value !== null && Object.hasOwn(PRESETS, value);
}

/** An ISO instant from the address, or undefined when it is not one. */
function instant(value: string | null): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export function readTimeFilter(params: URLSearchParams): TimeFilter {
  const period = params.get("period");
  if (isPreset(period)) return { kind: "preset", preset: period };
  const after = instant(params.get("started_after"));
  const before = instant(params.get("started_before"));
  if (after || before) return { kind: "custom", after, before };
  return { kind: "any" };
}

/** ``params`` with the time filter replaced by ``filter`` (other filters kept). */
export function writeTimeFilter(params: URLSearchParams, filter: TimeFilter): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const key of ["period", "started_after", "started_before"]) next.delete(key);
  if (filter.kind === "preset") next.set("period", filter.preset);
  if (filter.kind === "custom") {
    if (filter.after) next.set("started_after", filter.after);
    if (filter.before) next.set("started_before", filter.before);
  }
  return next;
}

/** The API's query for the filter; a preset counts back from ``now`` (each fetch anew). */
export function timeQuery(filter: TimeFilter, now: number = Date.now()): TimeQuery {
  if (filter.kind === "preset") return { started_after: new Date(now - PRESETS[filter.preset].ms).toISOString() };
  if (filter.kind === "custom") return { started_after: filter.after, started_before: filter.before };
  return {};
}

/** A problem with a custom range the user typed, or null. */
export function rangeProblem(filter: TimeFilter): string | null {
  if (filter.kind !== "custom" || !filter.after || !filter.before) return null;
  return Date.parse(filter.before) <= Date.parse(filter.after) ? "The range must end after it starts." : null;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** An ISO instant as the value of an `<input type="datetime-local">` (the browser's zone). */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value (the browser's zone) as an ISO instant; undefined when empty. */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value); // no zone in the text: read as local time
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Whether any filter narrows the list (for the empty-list message). */
export function isFiltered(filter: TimeFilter): boolean {
  return filter.kind !== "any";
}
