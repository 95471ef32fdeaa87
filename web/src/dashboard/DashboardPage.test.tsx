import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

import { fakeApi, json, type FakeApi } from "../test/fakeApi";
import { renderApp } from "../test/render";

const owner = { id: 1, email: "me@example.com", name: "Me", role: "viewer", is_active: true, created_at: "2026-11-01T00:00:00Z" };
const zero = { queued: 0, running: 0, waiting: 0, success: 0, error: 0, canceled: 0 };

function dashboard(period: string) {
  const day = period !== "24h";
  const step = day ? 86_400_000 : 3_600_000;
  const start = Date.parse("2026-11-10T00:00:00Z");
  return {
    since: "2026-11-09T12:00:00Z",
    until: "2026-11-10T12:00:00Z",
    bucket: day ? "day" : "hour",
    kpis: {
      executions: period === "7d" ? 1234 : 12,
      failures: 3,
      failure_rate: 0.25,
      avg_duration_ms: 1500,
      by_status: { ...zero, success: 8, error: 3, canceled: 1 },
    },
    series: [
      { start: new Date(start).toISOString(), counts: { ...zero, success: 5, error: 1 } },
      { start: new Date(start + step).toISOString(), counts: { ...zero, success: 3, error: 2, canceled: 1 } },
    ],
    slowest: [{ workflow_id: 7, name: "Orders", executions: 4, avg_duration_ms: 2500, p95_duration_ms: 61_000 }],
    failing: [
      { workflow_id: 8, name: "Alerts", executions: 4, failures: 3, failure_rate: 0.75, last_failure_at: "2026-11-10T11:00:00Z" },
    ],
  };
}

/** AI usage: spend on one workflow, one priced and one unpriced model. */
function usage(params: URLSearchParams) {
  const groupBy = params.get("group_by") ?? "day";
  const total = { calls: 3, input_tokens: 3000, output_tokens: 1500, cost: "0.015", unpriced_calls: 1 };
  const groups: Record<string, unknown[]> = {
    day: [{ key: "2026-11-10", label: "2026-11-10", ...total }],
    workflow: [{ key: "7", label: "Orders", ...total }],
    model: [
      { key: "openai/gpt-4o", label: "openai/gpt-4o", calls: 2, input_tokens: 2000, output_tokens: 1000, cost: "0.015", unpriced_calls: 0 },
      { key: "ollama/llama3", label: "ollama/llama3", calls: 1, input_tokens: 1000, output_tokens: 500, cost: null, unpriced_calls: 1 },
    ],
    template: [],
  };
  return { group_by: groupBy, from: params.get("from"), to: "2026-11-10", groups: groups[groupBy], total };
}

let server: FakeApi | undefined;
afterEach(() => server?.restore());

beforeAll(() => {
  // jsdom has no layout: give the chart's container a size and a ResizeObserver.
  vi.spyOn(HTMLElement.prototype, "getBoundingClientRect").mockReturnValue(new DOMRect(0, 0, 800, 288));
  vi.stubGlobal(
    "ResizeObserver",
    class {
      observe() {}
      unobserve() {}
      disconnect() {}
    },
  );
});

afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

function serve(routes: Parameters<typeof fakeApi>[0] = {}) {
  server = fakeApi({
    "GET /api/setup": () => ({ needs_setup: false }),
    "GET /api/auth/session": () => ({ user: owner }),
    "GET /api/dashboard": (req) => dashboard(new URL(req.url).searchParams.get("period") ?? "24h"),
    "GET /api/ai/usage": (req) => usage(new URL(req.url).searchParams),
    ...routes,
  });
}

function dashboardCalls() {
  return (server?.requests ?? []).filter((r) => new URL(r.url).pathname === "/api/dashboard");
}

describe("the dashboard", () => {
  it("shows the KPIs, the slowest and the most failing workflows with links", async () => {
    serve();
    renderApp("/dashboard");
    const kpis = await screen.findByRole("list", { name: "Key figures" });
    const card = (label: string) => within(kpis).getByText(label).closest("li")!;
    expect(card("Executions")).toHaveTextContent("12");
    expect(card("Failures")).toHaveTextContent("3");
    expect(card("Failure rate")).toHaveTextContent(/25\s?%/);
    expect(card("Failure rate")).toHaveTextContent("of 12 that ended");
    expect(card("Average run time")).toHaveTextContent("1.5 s");
    expect(within(card("Failures")).getByRole("link", { name: "Show failed executions" })).toHaveAttribute(
      "href",
      "/executions?status=error&period=24h",
    );

    const slowest = screen.getByRole("table", { name: "Slowest workflows, by average run time" });
    const orders = within(slowest).getByRole("row", { name: /Orders/ });
    expect(orders).toHaveTextContent("2.5 s");
    expect(orders).toHaveTextContent("1 min 01 s");
    expect(within(orders).getByRole("link", { name: "Orders" })).toHaveAttribute("href", "/workflows/7");
    expect(within(orders).getByRole("link", { name: "4 executions of Orders" })).toHaveAttribute(
      "href",
      "/executions?workflow_id=7&period=24h",
    );

    const failing = screen.getByRole("table", { name: "Workflows with the most failed executions" });
    const alerts = within(failing).getByRole("row", { name: /Alerts/ });
    expect(alerts).toHaveTextContent(/75\s?%/);
    expect(within(alerts).getByRole("link", { name: "3 failed executions of Alerts" })).toHaveAttribute(
      "href",
      "/executions?workflow_id=8&status=error&period=24h",
    );
    expect(new URL(dashboardCalls()[0]!.url).searchParams.get("period")).toBe("24h");
  });

  it("draws the chart with a text alternative, and shows the same numbers as a table", async () => {
    serve();
    renderApp("/dashboard");
    const chart = await screen.findByRole("img", { name: "Executions per hour by status" });
    expect(chart).toHaveAccessibleDescription(/^12 executions over 2 hours, 3 failed; the busiest hour was .+ with 6\./);
    // The chart's code arrives on demand, then draws its axes and legend.
    await waitFor(() => expect(chart.querySelector(".recharts-xAxis")).not.toBeNull());
    expect(Array.from(chart.querySelectorAll(".recharts-legend-item-text")).map((e) => e.textContent)).toEqual([
      "Success",
      "Error",
      "Canceled",
      "Waiting",
      "Running",
      "Queued",
    ]);
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Table" }));
    expect(screen.getByRole("button", { name: "Table" })).toHaveAttribute("aria-pressed", "true");
    const table = screen.getByRole("table", { name: "Executions per hour by status" });
    const rows = within(table).getAllByRole("row");
    expect(rows).toHaveLength(3);
    expect(within(rows[2]!).getAllByRole("cell").map((c) => c.textContent)).toEqual(["3", "2", "1", "0", "0", "0", "6"]);
    expect(screen.queryByRole("img", { name: "Executions per hour by status" })).toBeNull();
  });

  it("changes the period from the picker, kept in the address", async () => {
    serve();
    const view = renderApp("/dashboard");
    await screen.findByRole("list", { name: "Key figures" });
    expect(screen.getByRole("radio", { name: "Last 24 hours" })).toBeChecked();
    const user = userEvent.setup();
    await user.click(screen.getByRole("radio", { name: "Last 7 days" }));
    expect(view.location()).toBe("/dashboard?period=7d");
    await waitFor(() => expect(screen.getByText("1,234")).toBeInTheDocument());
    expect(screen.getByRole("img", { name: "Executions per day by status" })).toBeInTheDocument();
    expect(new URL(dashboardCalls().at(-1)!.url).searchParams.get("period")).toBe("7d");
    expect(screen.getByRole("link", { name: "Show failed executions" })).toHaveAttribute(
      "href",
      "/executions?status=error&period=7d",
    );
  });

  it("opens on the period in the address, with links for periods the list has no preset for", async () => {
    serve();
    renderApp("/dashboard?period=90d");
    await screen.findByRole("list", { name: "Key figures" });
    expect(screen.getByRole("radio", { name: "Last 90 days" })).toBeChecked();
    expect(screen.getByRole("link", { name: "Show failed executions" })).toHaveAttribute(
      "href",
      "/executions?status=error&started_after=2026-11-09T12%3A00%3A00.000Z",
    );
  });

  it("says when there is nothing to show, and shows the API's error", async () => {
    serve({
      "GET /api/dashboard": () => ({
        ...dashboard("24h"),
        kpis: { executions: 0, failures: 0, failure_rate: null, avg_duration_ms: null, by_status: zero },
        series: [],
        slowest: [],
        failing: [],
      }),
    });
    renderApp("/dashboard");
    expect(await screen.findByText("No execution ended in this period.")).toBeInTheDocument();
    expect(screen.getByText("No failures in this period.")).toBeInTheDocument();
    expect(screen.getAllByText("—")).toHaveLength(2);
    server!.restore();
    serve({ "GET /api/dashboard": () => json({ detail: "top: must be between 1 and 50", code: "validation_error", errors: [] }, 422) });
    renderApp("/dashboard?period=7d");
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not load the dashboard: top: must be between 1 and 50");
  });

  it("shows AI spend by day, workflow, model and template over the period's UTC days", async () => {
    serve();
    renderApp("/dashboard?period=7d");
    const models = await screen.findByRole("table", { name: "AI spend by model" });
    const rows = within(models).getAllByRole("row");
    expect(rows[1]).toHaveTextContent("openai/gpt-4o22,000 / 1,0000.015");
    expect(rows[2]).toHaveTextContent("ollama/llama3"); // unpriced: a dash and the count
    expect(rows[2]).toHaveTextContent("— (1 unpriced)");
    const top = screen.getByRole("table", { name: "Top workflows by AI spend" });
    expect(within(top).getByRole("link", { name: "Orders" })).toHaveAttribute("href", "/workflows/7");
    expect(screen.getByText(/No model calls since/)).toBeInTheDocument(); // templates: none
    const asked = (server?.requests ?? []).filter((r) => new URL(r.url).pathname === "/api/ai/usage");
    const from = new URL(asked[0]!.url).searchParams.get("from");
    expect(from).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("is in the main navigation", async () => {
    serve();
    renderApp("/workflows");
    const nav = await screen.findByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Dashboard" })).toHaveAttribute("href", "/dashboard");
  });
});
