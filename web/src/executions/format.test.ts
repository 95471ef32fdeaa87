import { describe, expect, it } from "vitest";

import { canRetry, cellText, duration, errorText, formatDuration, isLive, itemColumns } from "./format";

describe("execution formatting", () => {
  it("formats durations from milliseconds to hours", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(12_345)).toBe("12.3 s");
    expect(formatDuration(245_000)).toBe("4 min 05 s");
    expect(formatDuration(7_380_000)).toBe("2 h 03 min");
    expect(formatDuration(-1)).toBe("—");
  });

  it("measures a running execution up to now", () => {
    const now = Date.parse("2026-11-01T10:00:02Z");
    expect(duration("2026-11-01T10:00:00Z", "2026-11-01T10:00:00.250Z")).toBe("250 ms");
    expect(duration("2026-11-01T10:00:00Z", null, now)).toBe("2.0 s so far");
  });

  it("knows which statuses are still going", () => {
    expect(["queued", "running", "waiting"].every(isLive)).toBe(true);
    expect(["success", "error", "canceled"].some(isLive)).toBe(false);
    expect(["error", "canceled"].every(canRetry)).toBe(true);
    expect(["success", "running"].some(canRetry)).toBe(false);
  });

  it("takes table columns from every item's keys, in order of appearance", () => {
    expect(itemColumns([{ a: 1, b: 2 }, { c: 3, a: 4 }, "text", null, [1]])).toEqual(["a", "b", "c"]);
    expect(itemColumns([])).toEqual([]);
  });

  it("shows cells and errors as text", () => {
    expect(cellText("x")).toBe("x");
    expect(cellText({ k: [1] })).toBe('{"k":[1]}');
    expect(cellText(undefined)).toBe("");
    expect(cellText(null)).toBe("null");
    expect(errorText({ type: "NodeError", message: "boom" })).toBe("NodeError: boom");
    expect(errorText({ code: 3 })).toBe('{"code":3}');
    expect(errorText(null)).toBe("");
  });
});
