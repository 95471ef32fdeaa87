import { describe, expect, it } from "vitest";

import {
  fromLocalInput,
  rangeProblem,
  readTimeFilter,
  timeQuery,
  toLocalInput,
  writeTimeFilter,
  type TimeFilter,
} from "./timeFilter";

const NOW = Date.parse("2026-11-10T12:00:00Z");

describe("the executions time filter", () => {
  it("reads presets and custom ranges from the address, ignoring what is not one", () => {
    expect(readTimeFilter(new URLSearchParams("period=7d"))).toEqual({ kind: "preset", preset: "7d" });
    expect(readTimeFilter(new URLSearchParams("period=5y"))).toEqual({ kind: "any" });
    expect(readTimeFilter(new URLSearchParams("period=toString"))).toEqual({ kind: "any" });
    expect(readTimeFilter(new URLSearchParams("started_after=2026-11-01T08:00:00%2B02:00"))).toEqual({
      kind: "custom",
      after: "2026-11-01T06:00:00.000Z",
      before: undefined,
    });
    expect(readTimeFilter(new URLSearchParams("started_after=soon&started_before=2026-11-02T00:00:00Z"))).toEqual({
      kind: "custom",
      after: undefined,
      before: "2026-11-02T00:00:00.000Z",
    });
    expect(readTimeFilter(new URLSearchParams("started_after=soon"))).toEqual({ kind: "any" });
  });

  it("writes the filter back, keeping the other parameters", () => {
    const params = new URLSearchParams("workflow_id=3&period=1h");
    const custom: TimeFilter = { kind: "custom", after: "2026-11-01T00:00:00.000Z" };
    expect(writeTimeFilter(params, custom).toString()).toBe("workflow_id=3&started_after=2026-11-01T00%3A00%3A00.000Z");
    expect(writeTimeFilter(params, { kind: "any" }).toString()).toBe("workflow_id=3");
    expect(writeTimeFilter(new URLSearchParams("started_before=x"), { kind: "preset", preset: "24h" }).toString()).toBe(
      "period=24h",
    );
    expect(params.toString()).toBe("workflow_id=3&period=1h"); // not changed in place
  });

  it("turns it into the API's query", () => {
    expect(timeQuery({ kind: "any" }, NOW)).toEqual({});
    expect(timeQuery({ kind: "preset", preset: "1h" }, NOW)).toEqual({ started_after: "2026-11-10T11:00:00.000Z" });
    expect(timeQuery({ kind: "preset", preset: "7d" }, NOW)).toEqual({ started_after: "2026-11-03T12:00:00.000Z" });
    expect(timeQuery({ kind: "custom", before: "2026-11-02T00:00:00.000Z" }, NOW)).toEqual({
      started_after: undefined,
      started_before: "2026-11-02T00:00:00.000Z",
    });
  });

  it("checks that a custom range ends after it starts", () => {
    const after = "2026-11-02T00:00:00.000Z";
    expect(rangeProblem({ kind: "custom", after, before: "2026-11-01T00:00:00.000Z" })).toMatch(/must end after it starts/);
    expect(rangeProblem({ kind: "custom", after, before: after })).toMatch(/must end after it starts/);
    expect(rangeProblem({ kind: "custom", after, before: "2026-11-03T00:00:00.000Z" })).toBeNull();
    expect(rangeProblem({ kind: "custom", after })).toBeNull();
  });

  it("converts between instants and datetime-local values in the browser's zone", () => {
    const local = "2026-11-01T08:30";
    const iso = fromLocalInput(local)!;
    expect(iso).toBe(new Date(2026, 10, 1, 8, 30).toISOString());
    expect(toLocalInput(iso)).toBe(local);
    expect(fromLocalInput("")).toBeUndefined();
    expect(toLocalInput(undefined)).toBe("");
    expect(toLocalInput("nonsense")).toBe("");
  });
});
