import { describe, expect, it } from "vitest";

import { formatCost, formatMoney, fromDay, limitUse, periodDays, usageLine } from "./format";

describe("formatCost", () => {
  it("shows enough digits and a dash when unpriced", () => {
    expect(formatCost("0.0075")).toBe("0.0075");
    expect(formatCost("0.015")).toBe("0.015");
    expect(formatCost("12.5")).toBe("12.50");
    expect(formatCost("0")).toBe("0");
    expect(formatCost("0.000000123")).toBe("0.00000012");
    expect(formatCost(null)).toBe("—");
  });
});

describe("usageLine", () => {
  it("sums a step up", () => {
    expect(usageLine({ calls: 2, input_tokens: 2000, output_tokens: 1000, cost: "0.015", unpriced_calls: 0 })).toBe(
      "2 model calls · 2,000 in / 1,000 out tokens · cost 0.015",
    );
    expect(usageLine({ calls: 1, input_tokens: 5, output_tokens: 1, cost: null, unpriced_calls: 1 })).toBe(
      "1 model call · 5 in / 1 out tokens · cost — (1 unpriced)",
    );
  });
});

describe("periods", () => {
  it("maps the dashboard's periods to UTC days", () => {
    expect(periodDays("24h")).toBe(1);
    expect(periodDays("90d")).toBe(90);
    expect(fromDay(7, new Date("2026-03-03T23:00:00Z"))).toBe("2026-02-25");
    expect(fromDay(1, new Date("2026-03-03T01:00:00Z"))).toBe("2026-03-03");
  });
});

describe("formatMoney and limitUse", () => {
  it("pads a decimal string to two decimals without rounding", () => {
    expect(formatMoney("2.5")).toBe("2.50");
    expect(formatMoney("10")).toBe("10.00");
    expect(formatMoney("0.000125")).toBe("0.000125");
    expect(formatMoney("1E+3")).toBe("1E+3");
  });

  it("says how much of a limit is used", () => {
    expect(limitUse("1.5", "20")).toBe("7%");
    expect(limitUse("0", "5")).toBe("0%");
    expect(limitUse("5", "5")).toBe("reached");
    expect(limitUse("5.0025", "5")).toBe("reached");
    expect(limitUse("x", "5")).toBe("");
  });
});
