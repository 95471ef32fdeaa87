/** Formatting of AI usage: tokens, costs (decimal strings from the API), a step's summary. */

export interface UsageLike {
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cost?: string | null;
  unpriced_calls?: number;
}

const count = new Intl.NumberFormat("en-US");

/** "1,234" tokens. */
export function formatTokens(n: number): string {
  return count.format(n);
}

/** A cost as the API gives it ("0.0075") shown with enough digits to be non-zero:
 * "0.0075", "12.50", "—" when nothing was priced. No currency sign: the price table's
 * unit is whatever its prices are in. */
export function formatCost(cost: string | null | undefined): string {
  if (cost === null || cost === undefined) return "—";
  const value = Number(cost);
  if (!Number.isFinite(value)) return cost;
  if (value === 0) return "0";
  if (Math.abs(value) >= 1) return value.toFixed(2);
  // Two significant digits at least (0.0075, 0.015), never more than nine decimals.
  const digits = Math.min(9, Math.max(2, 1 - Math.floor(Math.log10(Math.abs(value)))));
  return value.toFixed(digits).replace(/0+$/, "").replace(/\.$/, "");
}

/** One line for a step: "2 calls · 1,500 in / 800 out tokens · cost 0.0075 (1 unpriced)". */
export function usageLine(u: UsageLike): string {
  const parts = [
    `${u.calls} model call${u.calls === 1 ? "" : "s"}`,
    `${formatTokens(u.input_tokens)} in / ${formatTokens(u.output_tokens)} out tokens`,
    `cost ${formatCost(u.cost)}`,
  ];
  const unpriced = u.unpriced_calls ?? 0;
  return parts.join(" · ") + (unpriced > 0 ? ` (${unpriced} unpriced)` : "");
}

/** How many UTC days the dashboard's period covers (today included). */
export function periodDays(period: string): number {
  return { "24h": 1, "7d": 7, "30d": 30, "90d": 90 }[period] ?? 30;
}

/** The first UTC day (YYYY-MM-DD) of the last `days` days ending `today`. */
export function fromDay(days: number, today: Date = new Date()): string {
  const start = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
  start.setUTCDate(start.getUTCDate() - (days - 1));
  return start.toISOString().slice(0, 10);
}

/** A price or limit as the API gives it (an exact decimal string) with at least two
 * decimals, never rounded: "2.5" → "2.50", "10" → "10.00", "0.000125" stays. */
export function formatMoney(value: string): string {
  if (!/^-?\d+(\.\d+)?$/.test(value)) return value;
  const [whole, decimals = ""] = value.split(".");
  return `${whole}.${decimals.padEnd(2, "0")}`;
}

/** How much of a daily limit is spent: "24%", "reached" (at or past it), "" if unknown. */
export function limitUse(spent: string, limit: string): string {
  const s = Number(spent);
  const l = Number(limit);
  if (!Number.isFinite(s) || !Number.isFinite(l) || l <= 0) return "";
  if (s >= l) return "reached";
  return `${Math.floor((s / l) * 100)}%`;
}
