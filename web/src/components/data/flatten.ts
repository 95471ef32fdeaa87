/** Items as table rows: nested objects flattened into dotted columns, up to a limit. */

export const MAX_DEPTH = 3;
export const MAX_COLUMNS = 40;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `{a: {b: 1}, c: [1]}` → `{"a.b": 1, c: [1]}`; objects deeper than `depth` stay whole. */
export function flattenItem(item: unknown, depth = MAX_DEPTH): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (value: Record<string, unknown>, prefix: string, level: number) => {
    for (const [key, v] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (isRecord(v) && level < depth && Object.keys(v).length > 0) walk(v, path, level + 1);
      else out[path] = v;
    }
  };
  if (isRecord(item)) walk(item, "", 1);
  return out;
}

export interface Columns {
  columns: string[];
  /** How many more columns there were beyond the limit. */
  hidden: number;
}

/** Every flattened key of every item, in the order first seen, at most `limit`. */
export function flatColumns(items: unknown[], limit = MAX_COLUMNS, depth = MAX_DEPTH): Columns {
  const seen = new Set<string>();
  for (const item of items) {
    for (const key of Object.keys(flattenItem(item, depth))) seen.add(key);
  }
  const all = [...seen];
  return { columns: all.slice(0, limit), hidden: Math.max(0, all.length - limit) };
}

/** One cell: strings as they are, anything else as compact JSON; missing is empty. */
export function cellText(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text;
}

/** An item that carries an error (`on_error: continue` / the error output). */
export function hasError(item: unknown): boolean {
  return isRecord(item) && item.error !== undefined && item.error !== null;
}
