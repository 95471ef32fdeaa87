import { describe, expect, it } from "vitest";

import type { DashboardOut } from "./api";
import { bucketLabel, chartRows, chartSummary, executionsHref, formatMs, formatRate, readPeriod } from "./format";

const zero = { queued: 0, running: 0, waiting: 0, success: 0, error: 0, canceled: 0 };

function out(counts: Partial<typeof zero>[], bucket: "hour" | "day" = "hour"): DashboardOut {
  const step = bucket === "hour" ? 3_600_000 : 86_400_000;
  const start = Date.parse("2026-11-10T00:00:00Z");
  return {
    since: "2026-11-09T23:30:00Z",
    until: "2026-11-10T23:30:00Z",
    bucket,
    kpis: { executions: 0, failures: 0, failure_rate: null, avg_duration_ms: null, by_status: zero },
    series: counts.map((c, i) => ({ start: new Date(start + i * step).toISOString(), counts: { ...zero, ...c } })),
    slowest: [],
    failing: [],
  };
}

describe("dashboard helpers", () => {
  it("reads the period from the address, 24 hours by default", () => {
    expect(readPeriod(new URLSearchParams("period=30d"))).toBe("30d");
    expect(readPeriod(new URLSearchParams("period=1y"))).toBe("24h");
    expect(readPeriod(new URLSearchParams("period=constructor"))).toBe("24h");
    expect(readPeriod(new URLSearchParams(""))).toBe("24h");
  });

  it("formats rates and durations, with a dash for none", () => {
    expect(formatRate(null)).toBe("—");
    expect(formatRate(0.125)).toMatch(/12[.,]5\s?%/);
    expect(formatMs(null)).toBe("—");
    expect(formatMs(1500)).toBe("1.5 s");
  });

  it("names day buckets in UTC, whatever the browser's zone", () => {
    expect(bucketLabel("2026-11-10T00:00:00Z", "day", true)).toMatch(/10/);
    expect(bucketLabel("2026-11-10T00:00:00Z", "day")).toMatch(/10/);
  });

  it("turns the series into chart rows with totals, and says what they show", () => {
    const data = out([{ success: 2, error: 1 }, {}, { success: 5, waiting: 1 }]);
    const rows = chartRows(data.series, data.bucket);
    expect(rows.map((r) => r.total)).toEqual([3, 0, 6]);
    expect(rows[2]).toMatchObject({ success: 5, waiting: 1, error: 0 });
    const summary = chartSummary(data);
    expect(summary).toMatch(/^9 executions over 3 hours, 1 failed; the busiest hour was .+ with 6\.$/);
    expect(chartSummary(out([{}, {}], "day"))).toBe("No executions in this period (2 days).");
  });

  it("links into the executions list with the same window", () => {
    const data = out([]);
    expect(executionsHref(data, "24h")).toBe("/executions?period=24h");
    expect(executionsHref(data, "7d", { workflowId: 3, status: "error" })).toBe(
      "/executions?workflow_id=3&status=error&period=7d",
    );
    expect(executionsHref(data, "30d", { status: "error" })).toBe(
      "/executions?status=error&started_after=2026-11-09T23%3A30%3A00.000Z",
    );
  });
});
